"""Two people acting on one referral at the same instant, on PostgreSQL.

Each test holds a lock on the contended row in a connection of its own
(:mod:`tests.faults.locks`) until every racer has read the referral and is
queued at its first write, then lets them go: the interleaving is forced,
not left to timing. Exactly one must win, and the SMS of the one who lost
must still be answered at once, truthfully (not a minute later by the
sweeper, after an error in the log).
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select

from gateway import runtime
from gateway.db import utcnow
from gateway.models import Alert, Message, Referral
from gateway.referrals.service import escalate_referral, route_alert
from tests.console.case_helpers import make_case
from tests.fakes.providers import FakeTwilio
from tests.faults.locks import Racer, held, require_postgresql
from tests.referrals.test_loop import IOM_BM, IOM_FR, escalate_to_backup, referrals, report, sms
from tests.support import count, outbound_texts, work

LOCK_REFERRAL = "SELECT 1 FROM referrals WHERE id = :id FOR UPDATE"


def _text_from(app: Flask, number: str, body: str) -> Racer:
    return Racer(app, lambda: sms(app.test_client(), number, body))


def test_two_focal_points_answering_ok_at_once(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    """The first focal point and the backup (escalated to) answer OK together:
    one holds the case, the other is told at once that someone else has it."""
    require_postgresql()
    ref = report(loop_app, fake_twilio)
    escalate_to_backup()
    work(loop_app)
    (referral,) = referrals()
    before = {n: len(outbound_texts(n)) for n in (IOM_BM, IOM_FR)}
    with held(LOCK_REFERRAL, id=referral.id) as queued:
        first = _text_from(loop_app, IOM_BM, f"OK {ref}")
        queued(1)
        second = _text_from(loop_app, IOM_FR, f"OK {ref}")
        queued(2)
    first.result()
    second.result()
    (referral,) = referrals()
    assert (referral.status, referral.accepted_by) == ("accepted", "iom-bko-bm")
    assert [e.event for e in referral.events].count("accept") == 1
    # Answered by the webhook itself, before any worker or sweeper runs.
    (holder,) = outbound_texts(IOM_BM)[before[IOM_BM] :]
    (other,) = outbound_texts(IOM_FR)[before[IOM_FR] :]
    assert holder.startswith(f"Merci, vous suivez {ref}")
    assert other.startswith(f"{ref} est déjà pris en charge par un autre")


@pytest.mark.parametrize("first", ["escalation", "ok"])
def test_an_ok_arriving_while_the_escalation_job_escalates(
    loop_app: Flask, fake_twilio: FakeTwilio, first: str
) -> None:
    """The focal point's OK and the escalation job read the referral together.
    Whichever commits second runs again on what the first did: the escalated
    referral is accepted, or the job finds it accepted and skips (a failed
    job would stay a week on the status page). The OK is answered at once."""
    require_postgresql()
    ref = report(loop_app, fake_twilio)
    with runtime.current().db.session() as session:
        referral = session.scalars(select(Referral)).one()
        referral.due_at = utcnow() - dt.timedelta(seconds=5)
        referral_id = referral.id
    before = len(outbound_texts(IOM_BM))
    racers = {
        "escalation": lambda: Racer(loop_app, lambda: escalate_referral(referral_id, 0)),
        "ok": lambda: _text_from(loop_app, IOM_BM, f"OK {ref}"),
    }
    with held(LOCK_REFERRAL, id=referral_id) as queued:
        started = {first: racers[first]()}
        queued(1)
        second = "ok" if first == "escalation" else "escalation"
        started[second] = racers[second]()
        queued(2)
    escalated = first == "escalation"
    assert started["escalation"].result() == ("escalated to backup" if escalated else "skipped")
    started["ok"].result()
    (referral,) = referrals()
    assert (referral.status, referral.accepted_by) == ("accepted", "iom-bko-bm")
    events = ["notify", "escalate", "accept"] if escalated else ["notify", "accept"]
    assert [e.event for e in referral.events] == events
    (told,) = outbound_texts(IOM_BM)[before:]
    assert told.startswith(f"Merci, vous suivez {ref}")


def test_an_alert_routed_twice_at_once_makes_one_referral(loop_app: Flask) -> None:
    """The web's inline routing was slow and the sweeper's routing job ran
    meanwhile: both read the alert unrouted. One referral, one referral SMS."""
    require_postgresql()
    reference = make_case(route=False)
    with runtime.current().db.session() as session:
        alert_id = session.scalars(select(Alert.id).where(Alert.reference == reference)).one()
    with held("SELECT 1 FROM alerts WHERE id = :id FOR UPDATE", id=alert_id) as queued:
        inline = Racer(loop_app, lambda: route_alert(alert_id))
        queued(1)
        job = Racer(loop_app, lambda: route_alert(alert_id))
        queued(2)
    assert (inline.result(), job.result()) == ("routed to iom", "skipped")
    assert len(referrals()) == 1
    assert count(Message, Message.kind == "referral") == 1
