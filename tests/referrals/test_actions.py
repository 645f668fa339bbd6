"""The shared referral actions (SMS commands and console): lifecycle, side effects, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import runtime, status
from gateway.models import Contact, Message, Referral
from gateway.referrals import actions
from gateway.referrals.actions import CONSOLE, SMS, ActionError
from gateway.referrals.lifecycle import LifecycleError
from tests.console.case_helpers import (
    REPORTER,
    current_referral,
    load_directory,
    make_case,
    refuse_until_nobody_is_left,
)


@pytest.fixture
def ref(app: Flask) -> str:
    """An IOM case waiting on iom-bko-bm; the reporter wants updates."""
    load_directory()
    return make_case()


def kinds() -> list[str]:
    with runtime.current().db.session() as session:
        return [m.kind for m in session.scalars(select(Message).order_by(Message.id))]


def test_accept_holder_reminders_and_reporter(ref: str) -> None:
    with current_referral(ref) as (session, referral):
        actions.accept(session, referral, "awa", CONSOLE, holder="iom-bko-fr")
    with current_referral(ref) as (_session, referral):
        assert (referral.status, referral.accepted_by) == ("accepted", "iom-bko-fr")
        assert referral.focal_point_id == "iom-bko-fr" and referral.due_at is None
        assert referral.reminder_due_at is not None and referral.alert.status == "in_progress"
        assert (referral.events[-1].actor, referral.events[-1].channel) == ("awa", "console")
    assert kinds()[-1] == "notification"
    with current_referral(ref) as (session, referral), pytest.raises(ActionError) as error:
        actions.accept(session, referral, "iom-bko-bm", SMS)
    assert error.value.code == "already_accepted"


def test_no_reporter_message_without_consent(app: Flask) -> None:
    load_directory()
    reference = make_case(updates=False)
    with current_referral(reference) as (session, referral):
        actions.accept(session, referral, "iom-bko-bm", SMS)
    assert "notification" not in kinds()


def test_reject_goes_to_the_next_person(ref: str) -> None:
    with current_referral(ref) as (session, referral):
        actions.reject(session, referral, "iom-bko-bm", SMS, "pas ma zone")
    with current_referral(ref) as (_session, referral):
        assert (referral.status, referral.focal_point_id) == ("notified", "iom-bko-fr")
        assert [e.event for e in referral.events] == ["notify", "reject", "reroute"]
        assert referral.events[1].note == "pas ma zone"
    assert kinds().count("referral") == 2


def test_a_case_refused_by_everyone_is_flagged_and_staff_can_assign_it(ref: str) -> None:
    refused = refuse_until_nobody_is_left(ref)
    # the IOM chain, then the fallback agency's (DNDS), then nobody
    assert refused[0].startswith("iom/") and refused[-1].startswith("dnds/")
    with current_referral(ref) as (_session, referral):
        assert (referral.agency_id, referral.status, referral.due_at) == ("dnds", "rejected", None)
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None and snapshot.database.cases_unheld == 1
    assert "cases_unheld" in snapshot.problems
    with current_referral(ref) as (session, referral):
        actions.assign(session, referral, "dnds-c4-c6", "awa", CONSOLE)
    with current_referral(ref) as (_session, referral):
        assert (referral.status, referral.focal_point_id) == ("notified", "dnds-c4-c6")
        assert referral.due_at is not None  # escalation runs again
        assert (referral.events[-1].event, referral.events[-1].actor) == ("reroute", "awa")
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None and snapshot.database.cases_unheld == 0


def test_a_case_refused_by_everyone_can_be_transferred(ref: str) -> None:
    refuse_until_nobody_is_left(ref)
    with current_referral(ref) as (session, referral):
        actions.transfer(session, referral, "dnpef", "awa", CONSOLE)
    with current_referral(ref) as (_session, referral):
        assert (referral.agency_id, referral.status) == ("dnpef", "notified")
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None and snapshot.database.cases_unheld == 0


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda s, r: actions.note(s, r, "  ", "awa", CONSOLE), "empty"),
        (lambda s, r: actions.transfer(s, r, "nowhere", "awa", CONSOLE), "unknown_agency"),
        (lambda s, r: actions.transfer(s, r, "IOM", "awa", CONSOLE), "same_agency"),
        (lambda s, r: actions.close(s, r, "vanished", "awa", CONSOLE), "bad_outcome"),
        (lambda s, r: actions.assign(s, r, "dnpef-bko", "awa", CONSOLE), "unknown_focal_point"),
        (lambda s, r: actions.reply_to_reporter(s, r, "x" * 170, "awa", CONSOLE), "too_long"),
    ],
)
def test_action_errors_change_nothing(
    ref: str, call: Callable[[Session, Referral], object], code: str
) -> None:
    with current_referral(ref) as (session, referral), pytest.raises(ActionError) as error:
        call(session, referral)
    assert error.value.code == code
    with current_referral(ref) as (_session, referral):
        assert referral.status == "notified" and len(referral.events) == 1


def test_the_lifecycle_refuses_closing_before_accepting(ref: str) -> None:
    with current_referral(ref) as (session, referral), pytest.raises(LifecycleError):
        actions.close(session, referral, "reunified", "awa", CONSOLE)


def test_transfer_and_close(ref: str) -> None:
    with current_referral(ref) as (session, referral):
        new = actions.transfer(session, referral, "dnpef", "awa", CONSOLE)
        assert new.agency_id == "dnpef"
    with current_referral(ref) as (session, referral):
        assert referral.agency_id == "dnpef" and referral.status == "notified"
        actions.accept(session, referral, "dnpef-bko", SMS)
        actions.close(session, referral, "false_alarm", "dnpef-bko", SMS, note_text="faux")
    with current_referral(ref) as (_session, referral):
        assert (referral.status, referral.outcome, referral.alert.status) == (
            "closed",
            "false_alarm",
            "closed",
        )
        assert referral.reminder_due_at is None and referral.events[-1].note == "faux"


def test_assign_adds_the_person_to_the_chain(ref: str) -> None:
    with current_referral(ref) as (session, referral):
        actions.assign(session, referral, "iom-mopti", "awa", CONSOLE)
    with current_referral(ref) as (_session, referral):
        assert referral.focal_point_id == "iom-mopti" and referral.status == "notified"
        assert referral.people[referral.level]["focal_point_id"] == "iom-mopti"
    assert kinds().count("referral") == 2


def test_reply_to_reporter(ref: str) -> None:
    with current_referral(ref) as (session, referral):
        message = actions.reply_to_reporter(session, referral, " On arrive ", "awa", CONSOLE)
        assert message.body == f"Relais {ref}: On arrive" and message.kind == "console"
        assert message.channel == "twilio" and referral.events[-1].event == "note"
    with runtime.current().db.session() as session:
        contact = Contact.find(session, REPORTER)
        assert contact is not None
        contact.opted_out = True
    with current_referral(ref) as (session, referral), pytest.raises(ActionError) as error:
        actions.reply_to_reporter(session, referral, "Encore", "awa", CONSOLE)
    assert error.value.code == "no_reporter"


def _referral_id(reference: str) -> int:
    with current_referral(reference) as (_session, referral):
        return referral.id


def _overdue(reference: str) -> None:
    import datetime as dt

    from gateway.db import utcnow

    with current_referral(reference) as (_session, referral):
        referral.due_at = utcnow() - dt.timedelta(seconds=5)


def test_an_escalation_job_acts_once_and_never_early(ref: str) -> None:
    """Escalation jobs may fire early (rescheduled) or twice (the sweeper and RQ):
    only the job of the current level, once it is due, texts anyone."""
    from gateway.referrals.service import escalate_referral

    referral_id = _referral_id(ref)
    assert escalate_referral(referral_id, 0) == "not due"
    _overdue(ref)
    assert escalate_referral(referral_id, 0) == "escalated to backup"
    _overdue(ref)  # the backup's deadline has passed too...
    assert escalate_referral(referral_id, 0) == "skipped"  # ...but this is a stale level-0 job
    with current_referral(ref) as (_session, referral):
        assert (referral.level, referral.focal_point_id) == (1, "iom-bko-fr")
    assert kinds().count("referral") == 2


def test_routing_an_alert_again_makes_no_second_referral(ref: str) -> None:
    """The routing job and the sweeper may both route an alert."""
    from gateway.referrals.service import route_alert

    with current_referral(ref) as (_session, referral):
        alert_id = referral.alert_id
    assert route_alert(alert_id) == "skipped"
    assert kinds().count("referral") == 1
    with runtime.current().db.session() as session:
        assert len(session.scalars(select(Referral)).all()) == 1


def test_the_sweeper_routes_an_alert_whose_routing_was_lost(app: Flask) -> None:
    import datetime as dt

    from gateway.db import utcnow
    from gateway.sweeper import sweep
    from tests.support import work

    load_directory()
    reference = make_case(route=False)  # routing failed and its job is gone
    rt = runtime.current()
    rt.redis.flushdb()
    later = utcnow() + dt.timedelta(seconds=1)
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0), now=later).referrals["routes"] == 1
    work(app)
    with current_referral(reference) as (_session, referral):
        assert (referral.agency_id, referral.status) == ("iom", "notified")


def test_the_sweeper_reschedules_a_lost_reminder(app: Flask, ref: str) -> None:
    import datetime as dt

    from gateway.db import utcnow
    from gateway.sweeper import sweep
    from tests.support import work

    with current_referral(ref) as (session, referral):
        actions.accept(session, referral, "iom-bko-bm", SMS)
    with current_referral(ref) as (_session, referral):
        referral.reminder_due_at = utcnow() - dt.timedelta(minutes=1)
    rt = runtime.current()
    rt.redis.flushdb()  # the scheduled reminder is lost
    before = kinds().count("referral")
    sweep(rt.db, rt.redis, grace=dt.timedelta(0))
    work(app)
    assert kinds().count("referral") == before + 1


def test_a_reminder_goes_to_the_supervisor_when_whoever_accepted_left(ref: str) -> None:
    import datetime as dt

    from gateway.db import utcnow
    from gateway.models import FocalPointRecord
    from gateway.referrals.service import remind_referral

    with current_referral(ref) as (session, referral):
        actions.accept(session, referral, "iom-bko-bm", SMS)
    with current_referral(ref) as (session, referral):
        referral.reminder_due_at = utcnow() - dt.timedelta(minutes=1)
        session.get_one(FocalPointRecord, "iom-bko-bm").active = False
        referral_id = referral.id
    assert remind_referral(referral_id) == "reminded"
    with runtime.current().db.session() as session:
        last = session.scalars(
            select(Message).where(Message.kind == "referral").order_by(Message.id.desc())
        ).first()
        supervisor = session.get_one(FocalPointRecord, "iom-sup")
        assert last is not None and last.contact_id == supervisor.contact_id


def test_reminders_wait_their_time_and_keep_coming(ref: str) -> None:
    """A reminder job that fires early does nothing; one that reminds starts the next."""
    import datetime as dt

    from gateway.db import utcnow
    from gateway.referrals.service import remind_referral

    with current_referral(ref) as (session, referral):
        actions.accept(session, referral, "iom-bko-bm", SMS)
        referral_id = referral.id
    assert remind_referral(referral_id) == "not due"  # reminder_after: 3 days
    with current_referral(ref) as (_session, referral):
        referral.reminder_due_at = utcnow() - dt.timedelta(minutes=1)
    assert remind_referral(referral_id) == "reminded"
    with current_referral(ref) as (_session, referral):
        assert referral.reminder_due_at is not None
        assert referral.reminder_due_at > utcnow() + dt.timedelta(days=2)


def test_the_held_by_query_agrees_with_the_holder_of_every_referral(app: Flask) -> None:
    """LISTE reads ``Referral.held_by`` in SQL; the case pages read ``holder``."""
    load_directory()
    waiting, accepted, for_them, refused = (make_case() for _ in range(4))
    with current_referral(accepted) as (session, referral):
        actions.accept(session, referral, "iom-bko-bm", SMS)
    with current_referral(for_them) as (session, referral):
        # Accepted for the backup: the first focal point no longer holds it.
        actions.accept(session, referral, "awa", CONSOLE, holder="iom-bko-fr")
    with current_referral(refused) as (session, referral):
        actions.reject(session, referral, "iom-bko-bm", SMS, "absent")
    with runtime.current().db.session() as session:
        rows = session.scalars(select(Referral)).all()
        people = {r.focal_point_id for r in rows} | {r.accepted_by for r in rows} | {"nobody"}
        for person in people - {None}:
            held = session.scalars(select(Referral.id).where(Referral.held_by(person or ""))).all()
            assert sorted(held) == sorted(r.id for r in rows if r.holder == person), person
        holders = {r.alert.reference: r.holder for r in rows}
    assert holders[waiting] == "iom-bko-bm" and holders[accepted] == "iom-bko-bm"
    assert holders[for_them] == "iom-bko-fr" and holders[refused] != "iom-bko-bm"
