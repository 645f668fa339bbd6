"""Abuse resistance on the phone side: floods, guessing, blocklist, per-IP limit."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo

from gateway import create_app, runtime
from gateway.cli import main
from gateway.models import Message
from tests.support import count, outbound_texts, post_at, post_twilio, twilio_sms

ALICE, BOB = "+22376123445", "+22366112233"
_sids = itertools.count(1)


@pytest.fixture
def make_app(app_config: dict[str, object]) -> Iterator:  # type: ignore[type-arg]
    made: list[Flask] = []

    def build(**extra: object) -> Flask:
        application = create_app({**app_config, **extra})
        made.append(application)
        return application

    yield build
    for application in made:
        application.extensions["relais"].db.dispose()


def sms(app: Flask, sender: str, body: str) -> int:
    form = twilio_sms(f"SM{next(_sids):032d}", sender, body)
    return post_twilio(app.test_client(), "/webhooks/twilio/sms", form).status_code


def test_a_flood_from_one_number_is_stored_not_processed_and_others_are_served(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SENDER_RATE_LIMIT=3)
    with app.app_context():
        for n in range(7):
            assert sms(app, ALICE, f"message {n}") == 200
        assert sms(app, BOB, "Bonjour") == 200
        assert count(Message, Message.direction == "in") == 8  # nothing lost
        alice = outbound_texts(ALICE)
        assert len(alice) == 4  # three flow replies, then one warning, then silence
        assert "Trop de messages" in alice[-1]
        assert "Langue" in outbound_texts(BOB)[0]


def test_ussd_sessions_beyond_the_limit_end_politely(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SENDER_RATE_LIMIT=2)
    with app.app_context():
        bodies = []
        for n in range(3):
            form = {
                "sessionId": f"ATUid_{n}",
                "serviceCode": "*384#",
                "phoneNumber": ALICE,
                "text": "",
            }
            bodies.append(
                post_at(app.test_client(), "/webhooks/africastalking/ussd", form).get_data(
                    as_text=True
                )
            )
        assert bodies[0].startswith("CON ") and bodies[1].startswith("CON ")
        assert bodies[2].startswith("END ") and "17" in bodies[2]


def test_guessing_references_is_throttled(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(LOOKUP_FAILURE_LIMIT=2)
    with app.app_context():
        from gateway.simulate import Phone

        phone = Phone(runtime.current(), ALICE, language="fr")
        phone.sms("Bonjour")
        for answer in ["1", "5", "Marche", "2", "1", "2", "1", "0", "1", "1"]:
            phone.sms(answer)
        from tests.support import alerts

        own = alerts()[0].reference
        first = phone.sms(f"STATUT {own}")[0]
        assert own in first and "recu" in first
        for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
            phone.sms(f"STATUT {guess}")
        answer = phone.sms(f"STATUT {own}")[0]
        assert "recu" not in answer and "Aucun signalement" in answer  # learns nothing now


def test_webhooks_are_limited_per_client_ip(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(WEBHOOK_IP_LIMIT=3, PROXY_COUNT=1)
    with app.app_context():
        client = app.test_client()
        form = twilio_sms("SM" + "9" * 32, ALICE, "Bonjour")

        def post(ip: str) -> int:
            from twilio.request_validator import RequestValidator

            from tests.conftest import TWILIO_TOKEN

            url = "https://relais.example.org/webhooks/twilio/sms"
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
            headers = {"X-Twilio-Signature": signature, "X-Forwarded-For": ip}
            return client.post("/webhooks/twilio/sms", data=form, headers=headers).status_code

        assert [post("198.51.100.7") for _ in range(4)] == [200, 200, 200, 429]
        assert post("198.51.100.8") == 200  # another client is not affected


def test_blocklist_commands(app: Flask) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))

    blocked = run("numbers", "block", "76 12 34 45")
    assert blocked.exit_code == 0 and "76123445" not in blocked.output
    assert "1 blocked number(s)" in run("numbers", "blocked").output
    assert sms(app, ALICE, "Bonjour") == 200
    assert outbound_texts(ALICE) == []  # stored, never answered
    assert run("numbers", "unblock", "+22376123445").exit_code == 0
    assert run("numbers", "unblock", "+22376123445").exit_code == 1
    assert run("numbers", "block", "123").exit_code == 2
    from tests.console.case_helpers import load_directory

    load_directory()
    focal = run("numbers", "block", "+22366000102")  # iom-bko-bm
    assert focal.exit_code == 1 and "focal point iom-bko-bm" in focal.output


def test_every_counter_expires_with_its_window(app: Flask) -> None:
    """Counters are a key per subject and window: without an expiry Redis would
    keep one per number (and per IP, per minute) for ever."""
    from gateway.throttle import ip_over_limit, loop_detected, note_failed_lookup, sender_over_limit

    rt = runtime.current()
    sender_over_limit(rt.redis, 1, 20, 600)
    ip_over_limit(rt.redis, "ab" * 16, 6000)
    note_failed_lookup(rt.redis, 1)
    loop_detected(rt.redis, 1, "cd" * 16, 20)
    keys = rt.redis.keys("relais:count:*")
    assert len(keys) == 4
    assert all(0 < rt.redis.ttl(key) <= 3601 for key in keys)


def test_lookups_are_blocked_only_past_the_limit(app: Flask) -> None:
    """LOOKUP_FAILURE_LIMIT failures are allowed; the next one blocks."""
    from gateway.throttle import lookups_blocked, note_failed_lookup

    rt = runtime.current()
    for _ in range(2):
        note_failed_lookup(rt.redis, 7)
    assert lookups_blocked(rt.redis, 7, 2) is False
    note_failed_lookup(rt.redis, 7)
    assert lookups_blocked(rt.redis, 7, 2) is True
