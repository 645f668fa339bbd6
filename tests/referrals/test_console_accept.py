"""Staff accept a referral in the console for the focal point it waits on.

The event names the console user (the focal point holds the case), the focal
point is told by one short SMS in their language, and nobody receives the
reporter's number by SMS because of it: INFO gives it only after the focal
point's own OK.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from gateway import runtime
from gateway.encoding import prepare
from gateway.models import Alert, FocalPointRecord
from gateway.referrals import actions, notes
from gateway.referrals.actions import CONSOLE
from tests.fakes.providers import FakeTwilio
from tests.referrals.test_loop import IOM_BM, IOM_FR, REPORTER, referrals, report, sms, texts_to
from tests.support import work


def accept_in_console(user: str = "coordinator1") -> None:
    """What the console's Accept does (gateway.console.case_actions)."""
    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert)).one()
        referral = actions.current_referral(session, alert)
        assert referral is not None
        actions.accept(session, referral, user, CONSOLE, holder=referral.focal_point_id)


def test_the_focal_point_is_told_and_the_event_names_the_console_user(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    accept_in_console()
    work(loop_app)
    (referral,) = referrals()
    accept = referral.events[-1]
    assert (accept.event, accept.actor, accept.channel) == ("accept", "coordinator1", "console")
    assert accept.note == "accepted in the console for iom, held by iom-bko-bm"
    assert notes.console_accept_holder(accept.note) == "iom-bko-bm"  # what the case page reads
    assert referral.accepted_by == "iom-bko-bm"  # who holds it: reminders, FIN by SMS
    told = texts_to(fake_twilio, IOM_BM)[-1]
    assert told.startswith(f"RELAIS: {ref} a été accepté pour vous par l'équipe dans la console")
    info = prepare(told, fold=False)
    assert info.encoding == "GSM-7" and info.segments == 1 and len(told) <= 160
    assert "76123445" not in told and "Badalabougou" not in told
    assert "travailleur social" in texts_to(fake_twilio, REPORTER)[-1]


def test_an_english_speaking_focal_point_is_told_in_english(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    with runtime.current().db.session() as session:
        session.get_one(FocalPointRecord, "iom-bko-bm").languages = "en,fr"
    accept_in_console()
    work(loop_app)
    assert texts_to(fake_twilio, IOM_BM)[-1] == (
        f"RELAIS: {ref} was accepted for you by staff in the console. You now follow this case."
        f" To close: CLOSE {ref} outcome."
    )


def test_no_sms_carries_the_reporters_number_until_the_focal_points_own_ok(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    accept_in_console()
    client = loop_app.test_client()
    sms(client, IOM_BM, f"INFO {ref}")
    work(loop_app)
    sent = [r.form["Body"] for r in fake_twilio.requests if r.form.get("To") != REPORTER]
    assert sent and not any("76123445" in body for body in sent)
    assert f"Numéro du signalant: envoyez d'abord OK {ref}." in texts_to(fake_twilio, IOM_BM)[-1]

    sms(client, IOM_BM, f"OK {ref}")  # they take it themselves
    sms(client, IOM_BM, f"INFO {ref}")
    work(loop_app)
    assert REPORTER in texts_to(fake_twilio, IOM_BM)[-1]
    (referral,) = referrals()
    own = [e for e in referral.events if e.channel == "sms" and e.actor == "iom-bko-bm"]
    assert [e.note for e in own] == ["INFO", "OK by SMS"]


def test_a_person_assigned_an_accepted_case_gets_the_number_only_after_their_own_ok(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """Accepted by SMS by one focal point, then assigned by staff to another: the
    new holder never accepted; a note typed like Relais's mark does not count."""
    ref = report(loop_app, fake_twilio)
    client = loop_app.test_client()
    sms(client, IOM_BM, f"OK {ref}")
    work(loop_app)
    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert)).one()
        referral = actions.current_referral(session, alert)
        assert referral is not None
        actions.assign(session, referral, "iom-bko-fr", "coordinator1", CONSOLE)
    sms(client, IOM_FR, f"NOTE {ref} OK by SMS")  # not their OK
    sms(client, IOM_FR, f"INFO {ref}")
    work(loop_app)
    assert f"envoyez d'abord OK {ref}" in texts_to(fake_twilio, IOM_FR)[-1]
    assert not any(REPORTER in body for body in texts_to(fake_twilio, IOM_FR))
    sms(client, IOM_FR, f"OK {ref}")
    sms(client, IOM_FR, f"INFO {ref}")
    work(loop_app)
    assert REPORTER in texts_to(fake_twilio, IOM_FR)[-1]


def test_only_a_console_acceptance_note_names_a_holder() -> None:
    """The case page reads the holder back from the note: nothing else passes for one."""
    assert notes.console_accept_holder(notes.console_accept_note("iom", "iom-bko")) == "iom-bko"
    for other in (None, "", "OK by SMS", "assigned to iom-bko", "accepted in the console for iom"):
        assert notes.console_accept_holder(other) is None
    # A person's note that reads like it is stored quoted (actions.note).
    assert notes.console_accept_holder('"accepted in the console for iom, held by x"') is None
