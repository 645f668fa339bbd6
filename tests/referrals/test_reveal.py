"""The rule behind INFO (gateway.referrals.reveal): who is given the reporter's number."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from gateway import runtime
from gateway.models import Alert
from gateway.referrals import actions, reveal
from gateway.referrals.actions import CONSOLE
from tests.fakes.providers import FakeTwilio
from tests.referrals.test_loop import IOM_BM, IOM_FR, REPORTER, escalate_to_backup, report, sms
from tests.support import work

BACKUP = "iom-bko-fr"


def given(fp_id: str) -> reveal.SmsReveal:
    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert)).one()
        referral = actions.current_referral(session, alert)
        assert referral is not None
        return reveal.for_info(session, referral, fp_id)


def test_nobody_gets_the_number_before_an_acceptance(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    report(loop_app, fake_twilio)
    assert given("iom-bko-bm") == reveal.SmsReveal(number=None, ask_ok=False)


def test_the_focal_point_who_accepted_by_sms_gets_it(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    sms(loop_app.test_client(), IOM_BM, f"OK {ref}")
    work(loop_app)
    assert given("iom-bko-bm") == reveal.SmsReveal(number=REPORTER, ask_ok=False)
    assert given(BACKUP).number is None  # notified later or never: not theirs


def test_an_acceptance_in_the_console_asks_for_their_own_ok_first(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    report(loop_app, fake_twilio)
    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert)).one()
        referral = actions.current_referral(session, alert)
        assert referral is not None
        actions.accept(session, referral, "coordinator1", CONSOLE, holder="iom-bko-bm")
    assert given("iom-bko-bm") == reveal.SmsReveal(number=None, ask_ok=True)


def test_a_focal_point_the_case_moved_on_from_gets_nothing(
    loop_app: Flask, fake_twilio: FakeTwilio
) -> None:
    ref = report(loop_app, fake_twilio)
    escalate_to_backup()
    work(loop_app)
    sms(loop_app.test_client(), IOM_FR, f"OK {ref}")
    work(loop_app)
    assert given("iom-bko-bm") == reveal.SmsReveal(number=None, ask_ok=False)
    assert given(BACKUP).number == REPORTER
