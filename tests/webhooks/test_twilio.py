"""Twilio webhooks end to end: signatures, dedup, bad input, status callbacks."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator

import pytest
from flask import Flask

from gateway import runtime
from gateway.models import InboundRejection, Message
from tests.conftest import make_config
from tests.fakes.providers import FakeTwilio, Reply
from tests.support import PUBLIC, count, outbound_texts, post_twilio, twilio_sms, work

SMS = "/webhooks/twilio/sms"
REPORTER = "+22376123445"


def test_signed_sms_is_stored_and_answered_with_empty_twiml(client, payload) -> None:  # type: ignore[no-untyped-def]
    response = post_twilio(client, SMS, payload("twilio", "inbound_sms"))
    assert response.status_code == 200
    assert response.mimetype == "text/xml" and b"<Response/>" in response.data
    assert count(Message, Message.direction == "in", Message.status == "handled") == 1
    (question,) = outbound_texts(REPORTER)
    assert "Langue" in question  # the alert flow started with the language question


def test_missing_or_wrong_signature_is_refused(client, payload) -> None:  # type: ignore[no-untyped-def]
    form = payload("twilio", "inbound_sms")
    assert client.post(SMS, data=form).status_code == 403
    bad = client.post(SMS, data=form, headers={"X-Twilio-Signature": "bm90IGl0"})
    assert bad.status_code == 403
    tampered = dict(form, Body="something else")
    signed = post_twilio(client, SMS, form)  # valid for the original form only
    assert signed.status_code == 200
    from twilio.request_validator import RequestValidator

    sig = RequestValidator("test-twilio-auth-token").compute_signature(PUBLIC + SMS, form)
    assert client.post(SMS, data=tampered, headers={"X-Twilio-Signature": sig}).status_code == 403
    assert count(Message, Message.direction == "in") == 1


def test_signature_is_checked_against_the_public_url_behind_a_proxy(client) -> None:  # type: ignore[no-untyped-def]
    form = twilio_sms("SM" + "1" * 32, REPORTER, "Bonjour")
    # The app sees http://localhost/…; Twilio signed https://relais.example.org/…
    assert post_twilio(client, SMS, form).status_code == 200
    internal = post_twilio(client, SMS, form, sign_url="http://localhost" + SMS)
    assert internal.status_code == 403


def test_query_string_is_part_of_the_signed_url(client) -> None:  # type: ignore[no-untyped-def]
    form = twilio_sms("SM" + "2" * 32, REPORTER, "Bonjour")
    path = SMS + "?channel=orange"
    assert post_twilio(client, path, form).status_code == 200
    assert post_twilio(client, path, form, sign_url=PUBLIC + SMS).status_code == 403


def test_retried_webhook_creates_nothing_new(client) -> None:  # type: ignore[no-untyped-def]
    form = twilio_sms("SM" + "3" * 32, REPORTER, "Bonjour")
    first = post_twilio(client, SMS, form)
    second = post_twilio(client, SMS, form)
    assert first.data == second.data and second.status_code == 200
    assert count(Message, Message.direction == "in") == 1
    assert len(outbound_texts(REPORTER)) == 1


def test_ten_concurrent_deliveries_make_one_message_and_one_step(app: Flask) -> None:
    form = twilio_sms("SM" + "4" * 32, REPORTER, "Bonjour")
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def deliver() -> None:
        with app.app_context():
            barrier.wait()
            statuses.append(post_twilio(app.test_client(), SMS, form).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 10
    assert count(Message, Message.direction == "in") == 1
    assert len(outbound_texts(REPORTER)) == 1


def test_invalid_sender_is_answered_counted_and_not_processed(client) -> None:  # type: ignore[no-untyped-def]
    response = post_twilio(client, SMS, twilio_sms("SM" + "5" * 32, "+2231234", "Bonjour"))
    assert response.status_code == 200
    assert count(InboundRejection, InboundRejection.reason == "invalid_sender") == 1
    assert count(Message) == 0


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"From": REPORTER, "Body": "no sid"},
        {"MessageSid": "SM" + "6" * 32, "Body": "no sender"},
        {"MessageSid": "SM" + "7" * 32, "From": REPORTER, "Body": "x" * 1601},
    ],
    ids=["empty", "no-sid", "no-sender", "too-long"],
)
def test_malformed_sms_is_a_400(client, form: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert post_twilio(client, SMS, form).status_code == 400
    assert count(Message) == 0


def test_emoji_and_right_to_left_text_are_stored_safely(client) -> None:  # type: ignore[no-untyped-def]
    body = "طفل وحيد 👧🏽 près du marché"
    response = post_twilio(client, SMS, twilio_sms("SM" + "8" * 32, REPORTER, body))
    assert response.status_code == 200
    with runtime.current().db.session() as session:
        stored = session.query(Message).filter_by(direction="in").one()
        assert stored.body == body


def test_oversized_body_is_a_413(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        SMS, data=b"Body=" + b"x" * 70_000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


def test_invalid_utf8_is_not_a_500(client) -> None:  # type: ignore[no-untyped-def]
    raw = b"MessageSid=SM9&From=%2B22376123445&Body=%ff%fe%fd"
    response = client.post(SMS, data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403  # unsigned; and never a 500


@pytest.fixture
def twilio_app(database_url: str, redis_url: str, fake_twilio: FakeTwilio) -> Iterator[Flask]:
    """The app sending through the real Twilio SDK to the fake Twilio, in its context."""
    from gateway import create_app

    app = create_app(
        make_config(
            database_url, redis_url, SMS_PROVIDER="twilio", TWILIO_API_BASE_URL=fake_twilio.url
        )
    )
    with app.app_context():
        yield app
    app.extensions["relais"].db.dispose()


def test_replies_are_sent_through_twilio_and_status_callbacks_update_them(
    twilio_app: Flask, fake_twilio: FakeTwilio
) -> None:
    app = twilio_app
    client = app.test_client()
    post_twilio(client, SMS, twilio_sms("SM" + "a" * 32, REPORTER, "Bonjour"))
    work(app)
    (request,) = fake_twilio.requests
    assert request.form["To"] == REPORTER and request.form["From"] == "+22365123456"
    assert request.form["StatusCallback"] == PUBLIC + "/webhooks/twilio/status"
    with runtime.current().db.session() as session:
        reply = session.query(Message).filter_by(direction="out").one()
        sid = reply.provider_id
        assert reply.status == "sent" and sid and sid.startswith("SM")
    callback = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC0"}
    assert post_twilio(client, "/webhooks/twilio/status", callback).status_code == 200
    late = {"MessageSid": sid, "MessageStatus": "sent", "AccountSid": "AC0"}
    assert post_twilio(client, "/webhooks/twilio/status", late).status_code == 200
    with runtime.current().db.session() as session:
        reply = session.query(Message).filter_by(direction="out").one()
        assert reply.status == "delivered"  # a late report never moves it back
        assert [e.status for e in reply.events][-2:] == ["delivered", "sent"]


def test_a_report_arriving_before_the_send_committed_is_not_lost(
    twilio_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """Twilio may call back "failed" (30006: landline or unreachable) before the
    send job has stored the sid it just received: the report is kept and applied."""
    app = twilio_app
    answered: list[int] = []

    def report_first(request):  # type: ignore[no-untyped-def]
        resource = FakeTwilio._message(request)
        sid = json.loads(resource)["sid"]
        form = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30006"}
        answered.append(post_twilio(app.test_client(), "/webhooks/twilio/status", form).status_code)
        return resource

    client = app.test_client()
    fake_twilio.script(Reply(201, report_first))
    post_twilio(client, SMS, twilio_sms("SM" + "c" * 32, REPORTER, "Bonjour"))
    work(app)
    assert answered == [200]
    with runtime.current().db.session() as session:
        reply = session.query(Message).filter_by(direction="out").one()
        assert (reply.status, reply.error_code) == ("failed", "30006")
        assert reply.contact.invalid_number is True


def test_an_unreachable_handset_is_sent_again_later(
    twilio_app: Flask, fake_twilio: FakeTwilio
) -> None:
    """30003 (phone off, out of coverage) only ever comes in a delivery report."""
    from gateway.sweeper import sweep

    app = twilio_app
    client = app.test_client()
    post_twilio(client, SMS, twilio_sms("SM" + "d" * 32, REPORTER, "Bonjour"))
    work(app)
    rt = runtime.current()
    with rt.db.session() as session:
        sid = session.query(Message).filter_by(direction="out").one().provider_id
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert post_twilio(client, "/webhooks/twilio/status", form).status_code == 200
    with rt.db.session() as session:
        reply = session.query(Message).filter_by(direction="out").one()
        assert (reply.status, reply.error_code) == ("retrying", "30003")
        assert reply.contact.invalid_number is False
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11)
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0), now=later).requeued
    work(app)
    with rt.db.session() as session:
        reply = session.query(Message).filter_by(direction="out").one()
        assert (reply.status, reply.attempts) == ("sent", 2) and reply.provider_id != sid
    assert len(fake_twilio.requests) == 2


def test_unsigned_status_callback_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    form = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
    assert client.post("/webhooks/twilio/status", data=form).status_code == 403


def _sent_on_twilio(sid: str, attempts: int) -> int:
    from gateway.models import Contact
    from gateway.outbox import queue_outbound

    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, REPORTER)
        message = queue_outbound(session, contact=contact, text=sid[-4:], channel="twilio")
        message.provider, message.provider_id = "twilio", sid
        message.status, message.attempts = "sent", attempts
        return message.id


def test_an_unreachable_handset_is_not_sent_again_at_once_nor_for_ever(client) -> None:  # type: ignore[no-untyped-def]
    """30003: sent again after REDELIVERY_DELAY, and only while attempts are left."""
    from gateway.jobs import max_send_attempts
    from gateway.sweeper import sweep

    rt = runtime.current()
    first = _sent_on_twilio("SM" + "1" * 32, attempts=1)
    last = _sent_on_twilio("SM" + "2" * 32, attempts=max_send_attempts())
    for sid in ("SM" + "1" * 32, "SM" + "2" * 32):
        form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
        assert post_twilio(client, "/webhooks/twilio/status", form).status_code == 200
    rt.redis.flushdb()
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0)).requeued == []  # not before 10 min
    with rt.db.session() as session:
        assert session.get_one(Message, first).status == "retrying"
        assert session.get_one(Message, last).status == "undelivered"  # no attempt left
