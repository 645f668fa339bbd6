"""The escalation chain when the directory changes mid-case, and two people at once.

The demo directory's IOM case (separated, Commune V) waits on iom-bko-bm,
then its backup iom-bko-fr, then the supervisor iom-sup. A person removed from
the directory or made inactive since the referral opened is never texted.
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from gateway import runtime, status
from gateway.db import utcnow
from gateway.models import FocalPointRecord, Message, Referral
from gateway.referrals import actions, service, store
from gateway.referrals.actions import CONSOLE, SMS, ActionError
from tests.console.case_helpers import DIRECTORY, current_referral, load_directory, make_case


@pytest.fixture
def ref(app: Flask) -> str:
    load_directory()
    return make_case()


def set_people(ids: list[str], **values: object) -> None:
    with runtime.current().db.session() as session:
        session.execute(update(FocalPointRecord).where(FocalPointRecord.id.in_(ids)).values(values))


def texted(kind: str = "referral") -> list[str]:
    """Focal point ids texted, in order (by their contact)."""
    with runtime.current().db.session() as session:
        rows = session.execute(
            select(FocalPointRecord.id)
            .join(Message, Message.contact_id == FocalPointRecord.contact_id)
            .where(Message.kind == kind)
            .order_by(Message.id)
        )
        return [r[0] for r in rows]


def make_due(reference: str) -> tuple[int, int]:
    with current_referral(reference) as (_session, referral):
        referral.due_at = utcnow() - dt.timedelta(seconds=5)
        return referral.id, referral.level


@pytest.mark.parametrize("change", [{"removed": True}, {"active": False}])
def test_escalation_skips_a_backup_who_left(ref: str, change: dict[str, bool]) -> None:
    set_people(["iom-bko-fr"], **change)
    referral_id, level = make_due(ref)
    assert service.escalate_referral(referral_id, level) == "escalated to supervisor"
    assert texted() == ["iom-bko-bm", "iom-sup"]
    with current_referral(ref) as (_session, referral):
        assert (referral.status, referral.focal_point_id, referral.level) == (
            "escalated",
            "iom-sup",
            2,
        )
        assert referral.due_at is None  # nobody after the supervisor
        assert [e.event for e in referral.events] == ["notify", "escalate"]


def test_escalation_with_nobody_left_stops_instead_of_looping(ref: str) -> None:
    set_people(["iom-bko-fr", "iom-sup"], active=False)
    referral_id, level = make_due(ref)
    assert service.escalate_referral(referral_id, level) == "nobody left"
    with current_referral(ref) as (_session, referral):
        assert (referral.status, referral.due_at, len(referral.events)) == ("notified", None, 1)
    assert texted() == ["iom-bko-bm"]


def test_a_refusal_skips_people_who_left(ref: str) -> None:
    set_people(["iom-bko-fr"], removed=True)
    with current_referral(ref) as (session, referral):
        assert actions.reject(session, referral, "iom-bko-bm", SMS, "pas dispo")
    with current_referral(ref) as (_session, referral):
        assert (referral.status, referral.focal_point_id) == ("notified", "iom-sup")
    assert texted() == ["iom-bko-bm", "iom-sup"]


def test_reminders_go_to_the_supervisor_when_the_holder_left(ref: str) -> None:
    with current_referral(ref) as (session, referral):
        actions.accept(session, referral, "iom-bko-bm", SMS)
        referral.reminder_due_at = utcnow() - dt.timedelta(seconds=5)
        referral_id = referral.id
    set_people(["iom-bko-bm"], removed=True)
    assert service.remind_referral(referral_id) == "reminded"
    assert texted()[-1] == "iom-sup"


def test_the_console_cannot_assign_an_inactive_person(ref: str) -> None:
    set_people(["iom-bko-fr"], active=False)
    with current_referral(ref) as (session, referral), pytest.raises(ActionError) as error:
        actions.assign(session, referral, "iom-bko-fr", "awa", CONSOLE)
    assert error.value.code == "unknown_focal_point"


def test_a_transfer_to_an_agency_with_nobody_active_is_refused(ref: str) -> None:
    text = DIRECTORY.read_text(encoding="utf-8")
    for phone in ('"+22370000501"', '"+22383000502"'):  # both UNICEF focal points
        text = text.replace(f"phone: {phone}\n", f"phone: {phone}\n        active: false\n")
    store.load_text(runtime.current().db, text, "edited.yaml")
    with current_referral(ref) as (session, referral), pytest.raises(ActionError) as error:
        actions.transfer(session, referral, "unicef", "awa", CONSOLE)
    assert error.value.code == "nobody_at_agency"
    with current_referral(ref) as (_session, referral):
        assert (referral.agency_id, referral.status) == ("iom", "notified")


def test_a_transfer_to_an_agency_whose_numbers_cannot_receive_is_refused(ref: str) -> None:
    """Active in the directory, but both UNICEF numbers opted out: nobody would get it."""
    with runtime.current().db.session() as session:
        for record in session.scalars(
            select(FocalPointRecord).where(FocalPointRecord.agency_id == "unicef")
        ):
            record.contact.opted_out = True
    with current_referral(ref) as (session, referral), pytest.raises(ActionError) as error:
        actions.transfer(session, referral, "unicef", "awa", CONSOLE)
    assert error.value.code == "nobody_at_agency"
    with current_referral(ref) as (_session, referral):
        assert (referral.agency_id, referral.status) == ("iom", "notified")


def test_a_case_opened_with_nobody_to_text_is_flagged_and_can_be_assigned(app: Flask) -> None:
    """Routing reads the directory; the people's rows say who may be texted now."""
    load_directory()
    with runtime.current().db.session() as session:
        session.execute(update(FocalPointRecord).values(active=False))
    reference = make_case()
    with current_referral(reference) as (_session, referral):
        assert referral.status == "new" and referral.events[-1].note
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None and snapshot.database.cases_unheld == 1
    assert "cases_unheld" in snapshot.problems
    set_people(["iom-bko-fr"], active=True)
    with current_referral(reference) as (session, referral):
        actions.assign(session, referral, "iom-bko-fr", "awa", CONSOLE)
    with current_referral(reference) as (_session, referral):
        assert (referral.status, referral.focal_point_id) == ("notified", "iom-bko-fr")
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None and snapshot.database.cases_unheld == 0


def test_two_people_accepting_at_once_cannot_both_win(ref: str) -> None:
    with current_referral(ref) as (_s, referral):
        referral_id = referral.id
    db = runtime.current().db
    # The second reads the row before the first commits its OK, then writes:
    # PostgreSQL reports the version mismatch, SQLite the stale snapshot.
    with pytest.raises((StaleDataError, OperationalError)), db.session() as second:
        two = second.get_one(Referral, referral_id)
        with db.session() as first:
            actions.accept(first, first.get_one(Referral, referral_id), "iom-bko-bm", SMS)
        actions.accept(second, two, "iom-bko-fr", SMS)
    with current_referral(ref) as (_session, referral):
        assert (referral.status, referral.accepted_by) == ("accepted", "iom-bko-bm")
        assert [e.event for e in referral.events] == ["notify", "accept"]
    assert texted("notification") == []  # reporters are not focal points
    with runtime.current().db.session() as session:
        told = session.scalars(select(Message).where(Message.kind == "notification")).all()
        assert len(told) == 1


def test_the_reporter_hears_once_that_a_social_worker_is_on_it(ref: str) -> None:
    with current_referral(ref) as (session, referral):
        actions.accept(session, referral, "iom-bko-bm", SMS)
    with current_referral(ref) as (session, referral):
        actions.transfer(session, referral, "dnpef", "iom-bko-bm", SMS)
    with current_referral(ref) as (session, referral):
        actions.accept(session, referral, "dnpef-bko", SMS)
    with runtime.current().db.session() as session:
        told = session.scalars(select(Message).where(Message.kind == "notification")).all()
        assert len(told) == 1


def test_a_refusal_passed_to_a_fallback_with_nobody_to_text_says_so(ref: str) -> None:
    """The fallback agency's people can no longer be texted: the case is not
    "passed on" (it waits, flagged, for staff), and the refuser is told so."""
    set_people(["dnds-c1-c3", "dnds-c4-c6", "dnds-permanence", "dnds-sup"], active=False)
    answers = []
    for _ in range(5):
        with current_referral(ref) as (session, referral):
            if referral.agency_id != "iom":
                break
            answers.append(actions.reject(session, referral, referral.focal_point_id or "", SMS))
    assert answers[-1] is False and all(answers[:-1])
    with current_referral(ref) as (_session, referral):
        assert (referral.agency_id, referral.status) == ("dnds", "new")
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None and snapshot.database.cases_unheld == 1
