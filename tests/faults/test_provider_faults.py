"""The SMS provider misbehaves: slow beyond SEND_TIMEOUT, unreachable, 500, 429.

tests/test_sending.py already covers 500/429 retries, permanent errors and a
plain failover in-process. These tests add what it does not: a provider that
answers after our timeout, one whose port is closed, both providers down, and
the whole chain (webhook → reply row → real worker from the Procfile → 500 →
429 → failover → slow fallback → retry → sent) in a worker subprocess, with
the RQ scheduler doing the delayed retries.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from gateway import create_app, runtime
from gateway.embedded_redis import free_port
from gateway.models import Contact, Message
from gateway.outbox import queue_outbound
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.faults.helpers import (
    REPORTER,
    Procs,
    new_sid,
    process_env,
    texts_to,
    wait_for,
)
from tests.support import post_twilio, twilio_sms, work

pytestmark = pytest.mark.slow


@pytest.fixture
def failover_app(app_config: dict[str, object]) -> Iterator[Flask]:
    """Twilio first, Africa's Talking as the fallback, a one-second send timeout."""
    app = create_app(
        {
            **app_config,
            "SMS_PROVIDER": "twilio",
            "SMS_FALLBACK_PROVIDER": "africastalking",
            "SEND_TIMEOUT": 1.0,
        }
    )
    with app.app_context():
        yield app
    app.extensions["relais"].db.dispose()


def _queue(text: str = "Bonjour") -> int:
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, REPORTER)
        return queue_outbound(session, contact=contact, text=text, channel="twilio").id


def _message(message_id: int) -> Message:
    with runtime.current().db.session() as session:
        found = session.get_one(Message, message_id)
        _ = found.events
        return found


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


@pytest.mark.parametrize("fault", ["slow", "unreachable"])
def test_slow_or_unreachable_provider_fails_over_to_the_fallback(
    app_config: dict[str, object],
    fake_twilio: FakeTwilio,
    fake_at: FakeAfricasTalking,
    fault: str,
) -> None:
    extra: dict[str, object] = {}
    if fault == "slow":
        fake_twilio.default = fake_twilio.slow(30)  # far beyond SEND_TIMEOUT=1
        expected_code = "timeout"
    else:
        extra["TWILIO_API_BASE_URL"] = _closed_port_url()
        expected_code = "network"
    app = create_app(
        {
            **app_config,
            **extra,
            "SMS_PROVIDER": "twilio",
            "SMS_FALLBACK_PROVIDER": "africastalking",
            "SEND_TIMEOUT": 1.0,
        }
    )
    try:
        with app.app_context():
            message_id = _queue()
            work(app)
            sent = _message(message_id)
    finally:
        app.extensions["relais"].db.dispose()
    assert (sent.status, sent.provider, sent.attempts) == ("sent", "africastalking", 3)
    assert sent.provider_id is not None and sent.provider_id.startswith("ATXid_")
    retrying = [e for e in sent.events if e.status == "retrying"]
    assert [e.error_code for e in retrying] == [expected_code, expected_code]
    assert "failover to africastalking" in retrying[-1].detail
    assert len(fake_twilio.requests) == (2 if fault == "slow" else 0)
    assert texts_to(fake_at, REPORTER) == ["Bonjour"]


def test_both_providers_down_fail_the_message_after_the_last_retry(
    app_config: dict[str, object],
) -> None:
    app = create_app(
        {
            **app_config,
            "SMS_PROVIDER": "twilio",
            "SMS_FALLBACK_PROVIDER": "africastalking",
            "TWILIO_API_BASE_URL": _closed_port_url(),
            "AT_API_BASE_URL": _closed_port_url(),
            "SEND_RETRY_DELAYS": "0,0,0",
        }
    )
    try:
        with app.app_context():
            message_id = _queue()
            work(app)
            failed = _message(message_id)
    finally:
        app.extensions["relais"].db.dispose()
    # twilio, twilio (→ failover), africastalking, africastalking (3 delays used up)
    assert (failed.status, failed.provider, failed.attempts) == ("failed", "africastalking", 4)
    assert failed.error_code == "network"
    assert failed.events[-1].detail == "retries exhausted"
    assert failed.possible_duplicate is False


def test_whole_chain_500_429_failover_slow_fallback_through_a_real_worker(
    failover_app: Flask, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking, procs: Procs
) -> None:
    fake_twilio.script(fake_twilio.http_error(500), fake_twilio.error(20429, status=429))
    fake_at.script(fake_at.slow(30))  # the fallback is slow once, then fine
    response = post_twilio(
        failover_app.test_client(),
        "/webhooks/twilio/sms",
        twilio_sms(new_sid(), REPORTER, "Bonjour"),
    )
    assert response.status_code == 200
    with runtime.current().db.session() as session:
        reply_id = session.query(Message.id).filter(Message.direction == "out").one()[0]

    env = process_env(failover_app, fake_twilio, fake_at, SEND_RETRY_DELAYS="1,1,1,1")
    worker = procs.start("worker", env)
    assert wait_for(lambda: _message(reply_id).status in {"sent", "failed"}, 90), procs.tail()
    assert worker.poll() is None, procs.tail()

    reply = _message(reply_id)
    assert (reply.status, reply.provider, reply.attempts) == ("sent", "africastalking", 4)
    codes = [e.error_code for e in reply.events if e.status == "retrying"]
    assert codes == ["500", "20429", "timeout"], codes
    assert any("failover to africastalking" in e.detail for e in reply.events)
    assert len(fake_twilio.requests) == 2
    # Two requests reached Africa's Talking: the slow one may have been accepted
    # after we gave up (a duplicate we cannot see), the retry certainly was.
    assert len(texts_to(fake_at, REPORTER)) == 2
