"""Outbound sending through the real SDKs to fake providers: errors, retries, failover, guards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import text

from gateway import create_app, delivery, runtime
from gateway.channels.base import StatusUpdate
from gateway.db import utcnow
from gateway.jobs import EXHAUSTED
from gateway.models import Contact, Message
from gateway.outbox import queue_outbound
from gateway.throttle import send_wait
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio, Reply
from tests.support import work

NUMBER = "+22376123445"


@pytest.fixture
def make_app(app_config: dict[str, object]) -> Iterator:  # type: ignore[type-arg]
    """Build the app with extra settings (e.g. a fallback provider)."""
    made: list[Flask] = []

    def build(**extra: object) -> Flask:
        application = create_app({**app_config, **extra})
        made.append(application)
        return application

    yield build
    for application in made:
        application.extensions["relais"].db.dispose()


def queue(text: str = "Bonjour", channel: str = "twilio", number: str = NUMBER) -> int:
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, number)
        return queue_outbound(session, contact=contact, text=text, channel=channel).id


def message(message_id: int) -> Message:
    with runtime.current().db.session() as session:
        found = session.get_one(Message, message_id)
        _ = found.events, found.contact
        return found


def test_twilio_success_records_the_sid(app: Flask, fake_twilio: FakeTwilio) -> None:
    message_id = queue()
    work(app)
    sent = message(message_id)
    assert sent.status == "sent" and sent.provider == "twilio" and sent.attempts == 1
    assert sent.provider_id is not None and sent.provider_id.startswith("SM")
    (request,) = fake_twilio.requests
    assert request.form["To"] == NUMBER and request.form["Body"] == "Bonjour"


def test_an_sdk_crash_after_the_request_is_a_retry_counted_as_possible_duplicate(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    """A 201 whose body the SDK cannot use raised AttributeError: the row stayed
    `sending` and the sweeper sent it again with no limit."""
    fake_twilio.script(Reply(201, "null"))
    message_id = queue()
    work(app)
    sent = message(message_id)
    assert (sent.status, sent.possible_duplicate, sent.attempts) == ("sent", True, 2)
    assert [e.status for e in sent.events].count("retrying") == 1


def test_transient_error_is_retried_then_sent(app: Flask, fake_twilio: FakeTwilio) -> None:
    fake_twilio.script(fake_twilio.http_error(500), fake_twilio.error(20429, status=429))
    message_id = queue()
    work(app)
    sent = message(message_id)
    assert sent.status == "sent" and sent.attempts == 3
    assert [e.status for e in sent.events].count("retrying") == 2
    assert len(fake_twilio.requests) == 3


def test_a_429_with_retry_after_pauses_every_send_through_that_provider(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    """Hammering a rate-limited account only prolongs the limit: the message
    waits as asked (not the configured 0 s) and the others wait with it."""
    limited = fake_twilio.error(20429, 429)
    fake_twilio.script(
        Reply(limited.status, limited.body, limited.content_type, headers={"Retry-After": "60"})
    )
    first = queue("Premier")
    before = utcnow()
    second = queue("Second")
    work(app)  # no scheduler: what is put back for later stays put
    assert len(fake_twilio.requests) == 1
    waiting = message(first)
    assert waiting.status == "retrying" and waiting.next_attempt_at is not None
    assert waiting.next_attempt_at >= before + dt.timedelta(seconds=59)
    held = message(second)
    assert (held.status, held.attempts) == ("queued", 0)  # no attempt spent
    assert 0 < runtime.current().redis.pttl("relais:pause:send:twilio") <= 60_000


@pytest.mark.parametrize(
    ("code", "flag"),
    [(21610, "opted_out"), (30005, "invalid_number"), (30004, None), (30007, None)],
)
def test_permanent_errors_fail_without_retry(
    app: Flask, fake_twilio: FakeTwilio, code: int, flag: str | None
) -> None:
    fake_twilio.script(fake_twilio.error(code))
    message_id = queue()
    work(app)
    failed = message(message_id)
    assert failed.status == "failed" and failed.error_code == str(code)
    assert len(fake_twilio.requests) == 1
    flags = {"opted_out": failed.contact.opted_out, "invalid_number": failed.contact.invalid_number}
    assert flags == {k: (k == flag) for k in flags}


@pytest.mark.parametrize(
    ("status_code", "expected"), [(406, "opted_out"), (403, "invalid_number"), (407, None)]
)
def test_africastalking_failures_inside_a_2xx_are_failures(
    app: Flask, fake_at: FakeAfricasTalking, status_code: int, expected: str | None
) -> None:
    fake_at.script(fake_at.recipient_status(status_code))
    message_id = queue(channel="africastalking")
    work(app)
    failed = message(message_id)
    assert failed.status == "failed" and len(fake_at.requests) == 1
    assert failed.contact.opted_out is (expected == "opted_out")
    assert failed.contact.invalid_number is (expected == "invalid_number")


def test_retries_exhausted_end_in_failed(app: Flask, fake_twilio: FakeTwilio) -> None:
    fake_twilio.default = fake_twilio.http_error(503)
    message_id = queue()
    work(app)
    failed = message(message_id)
    assert failed.status == "failed" and failed.attempts == 4  # 1 + 3 retries ("0,0,0")
    assert len(fake_twilio.requests) == 4


def test_repeated_transient_failures_fail_over_to_the_fallback(
    make_app, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SMS_PROVIDER="twilio", SMS_FALLBACK_PROVIDER="africastalking")
    with app.app_context():
        fake_twilio.default = fake_twilio.http_error(500)
        message_id = queue()
        work(app)
        sent = message(message_id)
        assert sent.status == "sent" and sent.provider == "africastalking"
        assert sent.provider_id.startswith("ATXid_")
        assert len(fake_twilio.requests) == 2 and len(fake_at.requests) == 1
        assert any("failover to africastalking" in e.detail for e in sent.events)


def test_a_message_on_the_fallbacks_channel_fails_over_to_the_primary(
    make_app, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking
) -> None:  # type: ignore[no-untyped-def]
    """A reply to someone who wrote to the Africa's Talking number, AT being the fallback."""
    app = make_app(SMS_PROVIDER="twilio", SMS_FALLBACK_PROVIDER="africastalking")
    with app.app_context():
        fake_at.default = fake_at.http_error(500)
        message_id = queue(channel="africastalking")
        work(app)
        sent = message(message_id)
        assert (sent.status, sent.provider) == ("sent", "twilio")
        assert len(fake_at.requests) == 2 and len(fake_twilio.requests) == 1


def test_failover_happens_once_never_back_and_forth(
    make_app, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SMS_PROVIDER="twilio", SMS_FALLBACK_PROVIDER="africastalking")
    with app.app_context():
        fake_twilio.default = fake_twilio.http_error(500)
        fake_at.default = fake_at.http_error(500)
        message_id = queue()
        work(app)
        failed = message(message_id)
        assert (failed.status, failed.provider) == ("failed", "africastalking")
        assert len(fake_twilio.requests) == 2
        assert sum("failover" in e.detail for e in failed.events) == 1


def test_the_fallback_providers_verdict_on_a_number_does_not_silence_it(
    make_app, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SMS_PROVIDER="twilio", SMS_FALLBACK_PROVIDER="africastalking")
    with app.app_context():
        fake_twilio.script(fake_twilio.http_error(503), fake_twilio.http_error(503))
        fake_at.script(fake_at.recipient_status(403))  # InvalidPhoneNumber, for AT
        first = queue()
        work(app)
        assert message(first).status == "failed"
        assert message(first).contact.invalid_number is False
        sent_by_fallback = queue("Par AT")  # Twilio 503 twice again: sent by AT
        fake_twilio.script(fake_twilio.http_error(503), fake_twilio.http_error(503))
        work(app)
        report = StatusUpdate(
            "africastalking",
            message(sent_by_fallback).provider_id or "",
            "failed",
            "UserIsInactive",
        )
        assert delivery.receive(runtime.current().db, runtime.current().redis, report)
        assert message(sent_by_fallback).contact.invalid_number is False  # AT's verdict only
        second = queue("Encore")
        work(app)  # Twilio is healthy again
        assert message(second).status == "sent" and message(second).provider == "twilio"


def test_an_account_that_cannot_send_fails_over_at_once(
    make_app, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking
) -> None:  # type: ignore[no-untyped-def]
    """405 InsufficientBalance: the other provider sends it; nothing is lost."""
    app = make_app(SMS_PROVIDER="africastalking", SMS_FALLBACK_PROVIDER="twilio")
    with app.app_context():
        fake_at.script(fake_at.recipient_status(405))
        message_id = queue(channel="africastalking")
        work(app)
        sent = message(message_id)
        assert (sent.status, sent.provider) == ("sent", "twilio")
        assert len(fake_at.requests) == 1 and len(fake_twilio.requests) == 1
        assert sent.contact.invalid_number is False


def test_an_account_that_cannot_send_is_retried_without_a_fallback(
    app: Flask, fake_at: FakeAfricasTalking
) -> None:
    """An operator may top the balance up meanwhile: retried, then failed as exhausted."""
    fake_at.default = fake_at.recipient_status(405)
    message_id = queue(channel="africastalking")
    work(app)
    failed = message(message_id)
    assert (failed.status, failed.error_code) == ("failed", "405")
    assert len(fake_at.requests) > 1 and any(e.detail == EXHAUSTED for e in failed.events)


def test_loop_guard_suppresses_the_same_text_repeated(make_app, fake_twilio: FakeTwilio) -> None:  # type: ignore[no-untyped-def]
    app = make_app(LOOP_GUARD_LIMIT=2)
    with app.app_context():
        ids = [queue("Réponse automatique") for _ in range(4)] + [queue("Autre texte")]
        work(app)
        statuses = [message(i).status for i in ids]
        assert statuses == ["sent", "sent", "suppressed", "suppressed", "sent"]
        assert len(fake_twilio.requests) == 3


def test_loop_guard_limit_0_turns_the_guard_off(make_app, fake_twilio: FakeTwilio) -> None:  # type: ignore[no-untyped-def]
    """0 means "no limit" for every other limit; here it suppressed every SMS."""
    app = make_app(LOOP_GUARD_LIMIT=0)
    with app.app_context():
        ids = [queue("Réponse automatique") for _ in range(3)]
        work(app)
        assert [message(i).status for i in ids] == ["sent"] * 3


def test_rate_limit_holds_back_sends_over_the_budget(make_app, fake_twilio: FakeTwilio) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SEND_RATE=1)
    with app.app_context():
        ids = [queue(f"Message {n}") for n in range(4)]
        work(app)  # no scheduler in this burst: held-back sends wait
        statuses = [message(i).status for i in ids]
        # one per second: at most two if the run crossed a second boundary
        assert 1 <= statuses.count("sent") <= 2
        assert statuses.count("queued") == 4 - statuses.count("sent")


def test_send_slot_counts_segments(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    redis = runtime.current().redis
    monkeypatch.setattr("gateway.throttle.time.time", lambda: 1_000_000.5)
    assert not send_wait(redis, "unit", 3, rate=4)
    assert send_wait(redis, "unit", 3, rate=4)  # 6 segments > 4 this second
    assert send_wait(redis, "unit", 2, rate=4)  # 5 > 4
    assert not send_wait(redis, "unit", 1, rate=4)  # refused tries gave their share back
    assert not send_wait(redis, "lone", 9, rate=4)  # one big message still goes, alone
    monkeypatch.setattr("gateway.throttle.time.time", lambda: 1_000_001.5)
    assert not send_wait(redis, "unit", 3, rate=4)  # a new second, a new budget


def test_exhausted_messages_are_listed_and_sent_again(app: Flask, fake_twilio: FakeTwilio) -> None:
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from gateway.cli import main

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))

    fake_twilio.default = fake_twilio.http_error(503)  # both providers down for hours
    exhausted = queue("Bonjour")
    work(app)
    fake_twilio.script(fake_twilio.error(21610))
    permanent = queue("Autre", number="+22366112233")
    work(app)
    assert message(exhausted).status == "failed" and message(permanent).status == "failed"
    listing = run("messages", "failed")
    assert "retries exhausted" in listing.output and "permanent error" in listing.output
    assert "76123445" not in listing.output and "Bonjour" not in listing.output
    fake_twilio.default = fake_twilio.success()  # the providers are back
    assert "queued again: 1" in run("messages", "retry", "--exhausted").output
    work(app)
    assert message(exhausted).status == "sent" and message(permanent).status == "failed"
    assert run("messages", "retry", str(permanent)).exit_code == 0
    assert run("messages", "retry").exit_code != 0


def test_an_undecryptable_message_fails_instead_of_sticking_in_sending(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    # A body written under a data key this process no longer has (a botched
    # rotation): nothing can be sent, and the row must end in a clear state.
    message_id = queue()
    foreign = Fernet(Fernet.generate_key()).encrypt(b"Bonjour").decode()
    with runtime.current().db.session() as session:
        session.execute(
            text("UPDATE messages SET body = :b WHERE id = :i"), {"b": foreign, "i": message_id}
        )
    work(app)
    assert fake_twilio.requests == []
    with runtime.current().db.session() as session:
        status, error, attempts, detail = session.execute(
            text(
                "SELECT m.status, m.error_code, m.attempts, e.detail FROM messages m"
                " JOIN message_events e ON e.message_id = m.id WHERE m.id = :i"
                " ORDER BY e.id DESC LIMIT 1"
            ),
            {"i": message_id},
        ).one()
    assert (status, error, detail) == ("failed", "internal", EXHAUSTED)
    assert attempts == len(app.extensions["relais"].settings.SEND_RETRY_DELAYS.split(",")) + 1


def test_training_messages_never_fail_over_to_a_real_provider() -> None:
    from gateway.jobs import _other_provider

    assert _other_provider("twilio", "africastalking", "sandbox") is None
    assert _other_provider("twilio", "africastalking", "twilio") == "africastalking"
    assert _other_provider("twilio", "africastalking", "africastalking") == "twilio"
    assert _other_provider("twilio", "", "twilio") is None


def test_retries_wait_the_configured_growing_delays(make_app, fake_twilio: FakeTwilio) -> None:  # type: ignore[no-untyped-def]
    """Each retry waits its own SEND_RETRY_DELAYS entry, and the sweeper does not
    send a retrying message before its time."""
    from gateway.jobs import send_message
    from gateway.sweeper import sweep

    app = make_app(SEND_RETRY_DELAYS="30,120,600")
    with app.app_context():
        rt = runtime.current()
        fake_twilio.default = fake_twilio.http_error(503)
        message_id = queue()
        waits = []
        for _ in range(3):
            before = utcnow()
            assert send_message(message_id) == "retrying"
            due = message(message_id).next_attempt_at
            assert due is not None
            waits.append((due - before).total_seconds())
            rt.redis.flushdb()  # the scheduled retry is lost: only the sweeper is left
            assert sweep(rt.db, rt.redis, grace=dt.timedelta(0)).requeued == []
        assert [round(w) for w in waits] == [30, 120, 600]
        assert send_message(message_id) == "failed"
        assert len(fake_twilio.requests) == 4


def test_a_report_racing_the_send_commit_is_applied_by_the_second_look(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The send commits its provider id (and finds no early report) between the
    report's first look-up and its push to Redis: the second look-up applies it."""
    rt = runtime.current()
    sid = "SM" + "f" * 32
    message_id = queue()
    with rt.db.session() as session:  # the job has claimed it and is talking to Twilio
        claimed = session.get_one(Message, message_id)
        claimed.status, claimed.provider = "sending", "twilio"
    original = delivery.apply_status
    looks: list[bool] = []

    def racing(db, update):  # type: ignore[no-untyped-def]
        found = original(db, update)
        looks.append(found)
        if len(looks) == 1:  # the job commits right after this first look...
            with rt.db.session() as session:
                sent = session.get_one(Message, message_id)
                sent.provider_id, sent.status = sid, "sent"
            assert delivery.apply_early(rt.db, rt.redis, "twilio", sid) == 0  # ...too early
        return found

    monkeypatch.setattr(delivery, "apply_status", racing)
    assert delivery.receive(rt.db, rt.redis, StatusUpdate("twilio", sid, "failed", "30006"))
    assert looks == [False, True]
    assert (message(message_id).status, message(message_id).error_code) == ("failed", "30006")


def test_early_reports_are_applied_once(app: Flask) -> None:
    rt = runtime.current()
    sid = "SM" + "a" * 32
    assert delivery.receive(rt.db, rt.redis, StatusUpdate("twilio", sid, "delivered")) is False
    message_id = queue()
    with rt.db.session() as session:
        sent = session.get_one(Message, message_id)
        sent.provider, sent.provider_id, sent.status = "twilio", sid, "sent"
    assert delivery.apply_early(rt.db, rt.redis, "twilio", sid) == 1
    assert delivery.apply_early(rt.db, rt.redis, "twilio", sid) == 0
    assert message(message_id).status == "delivered"


def test_a_report_matches_only_an_outbound_message_of_its_own_provider(app: Flask) -> None:
    rt = runtime.current()
    shared = "SHARED0000000001"
    outbound = queue()
    with rt.db.session() as session:
        sent = session.get_one(Message, outbound)
        sent.provider, sent.provider_id, sent.status = "twilio", shared, "sent"
        inbound = Message(direction="in", channel="africastalking", provider="africastalking",
                          provider_id=shared, contact_id=sent.contact_id, body="Bonjour",
                          status="handled", kind="sms")  # fmt: skip
        session.add(inbound)
    report = StatusUpdate("africastalking", shared, "failed", "UserInBlackList")
    assert delivery.receive(rt.db, rt.redis, report) is False
    with rt.db.session() as session:
        statuses = sorted(m.status for m in session.query(Message))
    assert statuses == ["handled", "sent"]
    assert message(outbound).contact.opted_out is False
