"""A reporter answering staff (gateway.referrals.followup): to the case, not a new questionnaire."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from gateway import runtime
from gateway.console.case_timeline import case_messages
from gateway.models import Alert, Conversation, Referral
from gateway.referrals import actions
from tests.fakes.providers import FakeTwilio
from tests.referrals.test_loop import REPORTER, report, sms, texts_to
from tests.support import count, work


def staff_asks(question: str) -> None:
    with runtime.current().db.session() as session:
        referral = session.scalars(select(Referral)).one()
        actions.reply_to_reporter(session, referral, question, "awa", actions.CONSOLE)


def case_bodies() -> list[str | None]:
    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert)).one()
        rows = list(session.scalars(select(Referral).where(Referral.alert_id == alert.id)))
        return [m.body for m in case_messages(session, alert, rows)]


def test_the_reporters_answer_to_staff_reaches_the_case(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """It started a new questionnaire ("What is happening? 1 Child alone…") and
    was shown on no case."""
    ref = report(loop_app, fake_twilio)
    conversations = count(Conversation)
    staff_asks("L'enfant est-il toujours au marché ?")
    work(loop_app)
    sms(loop_app.test_client(), REPORTER, "Oui il est devant la boutique")
    work(loop_app)
    answer = texts_to(fake_twilio, REPORTER)[-1]
    assert ref in answer and "Merci" in answer and "Que se passe-t-il" not in answer
    assert "Oui il est devant la boutique" in case_bodies()
    assert count(Conversation) == conversations  # no new questionnaire
    with runtime.current().db.session() as session:
        notes = [e.note for e in session.scalars(select(Referral)).one().events]
    assert "SMS from the reporter" in notes


def test_without_a_staff_sms_a_new_message_starts_a_new_report(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    report(loop_app, fake_twilio)
    sms(loop_app.test_client(), REPORTER, "Bonjour")
    work(loop_app)
    assert "Que se passe-t-il" in texts_to(fake_twilio, REPORTER)[-1]


def test_keywords_after_a_staff_sms_are_keywords(loop_app: Flask, fake_twilio: FakeTwilio) -> None:
    ref = report(loop_app, fake_twilio)
    staff_asks("Merci, nous passons ce soir.")
    work(loop_app)
    sms(loop_app.test_client(), REPORTER, f"STATUT {ref}")
    work(loop_app)
    answer = texts_to(fake_twilio, REPORTER)[-1]
    assert answer.startswith(f"Signalement {ref}") and "transmis" not in answer
