"""Redis stops in the middle of inbound traffic: nothing is lost, everything catches up.

Redis holds the RQ queues and the live conversation cache only; the database
is the source of truth. While Redis is down the webhooks must still store and
answer, USSD must still give a valid screen, and once Redis is back one sweep
and a worker must send every pending reply and route the alert to its focal
point.
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select

from gateway import runtime
from gateway.embedded_redis import EmbeddedRedis
from gateway.models import Alert, Message, Referral
from gateway.sweeper import sweep
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.faults.helpers import (
    ANSWERS,
    IOM_BM,
    REPORTER,
    Procs,
    new_sid,
    post_twilio_http,
    process_env,
    texts_to,
    wait_for,
)
from tests.support import count, post_at, post_twilio, twilio_sms, work

pytestmark = pytest.mark.slow
SMS = "/webhooks/twilio/sms"
USSD = "/webhooks/africastalking/ussd"
USSD_REPORTER = "+22365987654"


def _sms(app: Flask, body: str, sender: str = REPORTER) -> None:
    response = post_twilio(app.test_client(), SMS, twilio_sms(new_sid(), sender, body))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "<Response" in response.get_data(as_text=True)


def _ussd(app: Flask, session_id: str, inputs: list[str]) -> str:
    form = {
        "sessionId": session_id,
        "serviceCode": "*384*2211#",
        "phoneNumber": USSD_REPORTER,
        "networkCode": "61001",
        "text": "*".join(inputs),
    }
    response = post_at(app.test_client(), USSD, form)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _valid_screen(screen: str) -> bool:
    return screen.startswith(("CON ", "END ")) and len(screen) <= 182


def test_redis_down_during_inbound_traffic_loses_nothing(
    loop_app: Flask, redis_server: EmbeddedRedis, fake_twilio: FakeTwilio
) -> None:
    _sms(loop_app, "Bonjour")
    _sms(loop_app, ANSWERS[0])  # the conversation is live in Redis now
    _ussd(loop_app, "ATUid_outage", [])
    work(loop_app)
    sent_before = len(fake_twilio.requests)
    assert sent_before == 2

    redis_server.stop()
    try:
        for answer in ANSWERS[1:]:  # stored, answered 200, stepped from the database
            _sms(loop_app, answer)
        screens = [
            _ussd(loop_app, "ATUid_outage", ["1"]),
            _ussd(loop_app, "ATUid_outage", ["1", "1"]),
        ]
        assert all(_valid_screen(s) for s in screens), screens
        new_session = _ussd(loop_app, "ATUid_outage_new", [])
        assert _valid_screen(new_session), new_session
        assert len(fake_twilio.requests) == sent_before  # nothing can be sent yet
    finally:
        redis_server.start()

    inbound_sms = count(Message, Message.direction == "in", Message.kind == "sms")
    assert inbound_sms == len(ANSWERS) + 1  # every webhook stored exactly once
    assert count(Message, Message.direction == "in", Message.status != "handled") == 0
    (alert,) = _alerts()
    assert alert.routed_at is not None  # routing needs only the database
    pending = count(
        Message, Message.direction == "out", Message.kind != "ussd", Message.status == "queued"
    )
    # The replies stored while Redis was away, and the referral SMS.
    assert pending == len(ANSWERS) - 1 + 1
    assert count(Message, Message.kind == "referral", Message.status == "queued") == 1

    rt = runtime.current()
    report = sweep(rt.db, rt.redis, grace=dt.timedelta(0))
    assert len(report.requeued) == pending and report.referrals["routes"] == 0, report
    work(loop_app)

    outbound = count(Message, Message.direction == "out", Message.kind != "ussd")
    assert (
        count(Message, Message.direction == "out", Message.kind != "ussd", Message.status != "sent")
        == 0
    )
    assert len(fake_twilio.requests) == outbound  # each row sent once, none twice
    (referral_text,) = texts_to(fake_twilio, IOM_BM)
    assert alert.reference in referral_text
    assert alert.reference in texts_to(fake_twilio, REPORTER)[-1]
    with rt.db.session() as session:
        (referral,) = session.scalars(select(Referral)).all()
        assert referral.status == "notified"


def _state(fake: FakeTwilio) -> str:
    """Every message row and the provider's request count, for a failure message."""
    with runtime.current().db.session() as session:
        rows = session.scalars(select(Message).order_by(Message.id)).all()
        lines = [
            f"{m.id} {m.direction} {m.kind} {m.status} attempts={m.attempts} "
            f"dup={m.possible_duplicate} history="
            + ", ".join(f"{e.at:%H:%M:%S.%f} {e.status} {e.detail}" for e in m.events)
            for m in rows
        ]
    return f"provider got {len(fake.requests)} requests\n" + "\n".join(lines) + "\n"


def _alerts() -> list[Alert]:
    with runtime.current().db.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_real_web_and_worker_ride_out_a_redis_restart(
    loop_app: Flask,
    redis_server: EmbeddedRedis,
    fake_twilio: FakeTwilio,
    fake_at: FakeAfricasTalking,
    procs: Procs,
) -> None:
    env = process_env(loop_app, fake_twilio, fake_at)
    base = procs.web(env)
    worker = procs.start("worker", env)
    for body in ["Bonjour", *ANSWERS[:2]]:
        status, _ = post_twilio_http(base, twilio_sms(new_sid(), REPORTER, body))
        assert status == 200
    assert wait_for(lambda: len(fake_twilio.requests) == 3, 60), procs.tail()

    redis_server.stop()
    try:
        for body in ANSWERS[2:]:
            status, answer = post_twilio_http(base, twilio_sms(new_sid(), REPORTER, body))
            assert status == 200 and "<Response" in answer, procs.tail()
    finally:
        redis_server.start()

    # No manual action: the worker reconnects and its sweeper finds everything.
    # (The provider sees a send a moment before the worker commits it: wait
    # for both.)
    def everything_sent() -> bool:
        unsent = count(Message, Message.direction == "out", Message.status != "sent")
        return (
            len(texts_to(fake_twilio, IOM_BM)) == 1
            and len(fake_twilio.requests) == len(ANSWERS) + 2
            and unsent == 0
        )

    assert wait_for(everything_sent, 90), _state(fake_twilio) + procs.tail()
    assert worker.poll() is None, procs.tail()
    assert count(Message, Message.direction == "in") == len(ANSWERS) + 1
    outbound = count(Message, Message.direction == "out")
    assert count(Message, Message.direction == "out", Message.status == "sent") == outbound
    assert len(fake_twilio.requests) == outbound
    (alert,) = _alerts()
    assert alert.reference in texts_to(fake_twilio, IOM_BM)[0]
