"""Twilio webhook parsing, TwiML and signatures (pure functions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from gateway.channels.base import InvalidPayload
from gateway.channels.twilio import empty_twiml, parse_inbound, parse_status, signature_valid
from gateway.phones import InvalidNumber

NOW = datetime(2024, 3, 14, 9, 21, 7, tzinfo=UTC)
TOKEN = "12345678901234567890123456789012"
Payload = Callable[[str, str], dict[str, str]]


def test_parse_inbound_from_recorded_payload(payload: Payload) -> None:
    msg = parse_inbound(payload("twilio", "inbound_sms"), NOW)
    assert msg.channel == "twilio"
    assert msg.provider_id == "SM5f1c0a7e3b9d4c2a8e6f0b1d2c3a4e5f"
    assert msg.sender == "+22376123445"
    assert msg.recipient == "+22365123456"
    assert msg.text.startswith("ALERTE enfant seul")
    assert msg.received_at == NOW
    assert msg.session_id is None


def test_parse_inbound_falls_back_to_smssid_and_empty_body(payload: Payload) -> None:
    form = payload("twilio", "inbound_sms")
    del form["MessageSid"], form["Body"]
    msg = parse_inbound(form, NOW)
    assert msg.provider_id == form["SmsSid"]
    assert msg.text == ""


def test_parse_inbound_normalises_national_sender(payload: Payload) -> None:
    form = payload("twilio", "inbound_sms") | {"From": "0022376123445"}
    assert parse_inbound(form, NOW).sender == "+22376123445"


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_parse_inbound_missing_field(payload: Payload, missing: str) -> None:
    form = payload("twilio", "inbound_sms")
    form.pop("SmsSid")
    form[missing] = ""
    with pytest.raises(InvalidPayload):
        parse_inbound(form, NOW)


def test_parse_inbound_invalid_sender(payload: Payload) -> None:
    form = payload("twilio", "inbound_sms") | {"From": "+2231234"}
    with pytest.raises(InvalidNumber):
        parse_inbound(form, NOW)


def test_parse_inbound_body_limit(payload: Payload) -> None:
    form = payload("twilio", "inbound_sms")
    assert len(parse_inbound(form | {"Body": "é" * 1600}, NOW).text) == 1600
    with pytest.raises(InvalidPayload):
        parse_inbound(form | {"Body": "x" * 1601}, NOW)


def test_parse_status_delivered(payload: Payload) -> None:
    update = parse_status(payload("twilio", "status_delivered"))
    assert update.channel == "twilio"
    assert update.provider_id == "SMd41d8cd98f00b204e9800998ecf8427e"
    assert update.status == "delivered"
    assert update.error_code is None


def test_parse_status_undelivered_30003(payload: Payload) -> None:
    update = parse_status(payload("twilio", "status_failed_30003"))
    assert (update.status, update.error_code, update.raw_status) == (
        "undelivered",
        "30003",
        "undelivered",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("queued", "queued"),
        ("accepted", "queued"),
        ("sending", "sending"),
        ("sent", "sent"),
        ("failed", "failed"),
        ("read", "read"),
        ("canceled", "canceled"),
    ],
)
def test_parse_status_normalises(payload: Payload, raw: str, expected: str) -> None:
    form = payload("twilio", "status_delivered") | {"MessageStatus": raw}
    assert parse_status(form).status == expected


def test_parse_status_unknown_or_missing(payload: Payload) -> None:
    form = payload("twilio", "status_delivered")
    with pytest.raises(InvalidPayload):
        parse_status(form | {"MessageStatus": "teleported", "SmsStatus": ""})
    with pytest.raises(InvalidPayload):
        parse_status({"MessageStatus": "delivered"})


def test_empty_twiml() -> None:
    assert empty_twiml().endswith("<Response/>")
    assert empty_twiml().startswith("<?xml")


def _sign(url: str, form: object) -> str:
    return str(RequestValidator(TOKEN).compute_signature(url, form))


def test_signature_valid(payload: Payload) -> None:
    form = payload("twilio", "inbound_sms")
    sig = _sign("https://relais.example.org/webhooks/twilio/sms?k=1", form)
    assert signature_valid(
        TOKEN, "https://relais.example.org", "/webhooks/twilio/sms?k=1", form, sig
    )


def test_signature_invalid(payload: Payload) -> None:
    form = payload("twilio", "inbound_sms")
    sig = _sign("https://relais.example.org/webhooks/twilio/sms", form)
    base = "https://relais.example.org"
    assert not signature_valid(TOKEN, base, "/webhooks/twilio/sms", form | {"Body": "x"}, sig)
    assert not signature_valid("other" + TOKEN[5:], base, "/webhooks/twilio/sms", form, sig)
    assert not signature_valid(TOKEN, base, "/webhooks/twilio/other", form, sig)
    assert not signature_valid(TOKEN, base, "/webhooks/twilio/sms", form, "garbage")
    assert not signature_valid("", base, "/webhooks/twilio/sms", form, sig)


@pytest.mark.parametrize("missing", [None, ""])
def test_signature_missing(payload: Payload, missing: str | None) -> None:
    form = payload("twilio", "inbound_sms")
    assert not signature_valid(TOKEN, "https://relais.example.org", "/sms", form, missing)


def test_signature_behind_tls_proxy(payload: Payload) -> None:
    """Twilio signs the public https URL; the app sees http://internal behind the proxy."""
    from flask import Flask, request

    form = payload("twilio", "inbound_sms")
    public = "https://relais.example.org"
    sig = _sign(public + "/webhooks/twilio/sms?c=ml", form)
    app = Flask(__name__)
    results: dict[str, bool] = {}

    @app.post("/webhooks/twilio/sms")
    def hook() -> str:
        path = request.full_path if request.query_string else request.path
        results["naive"] = RequestValidator(TOKEN).validate(request.url, request.form, sig)
        results["ours"] = signature_valid(
            TOKEN, public, path, request.form, request.headers.get("X-Twilio-Signature")
        )
        return empty_twiml()

    client = app.test_client()
    resp = client.post(
        "http://internal:8000/webhooks/twilio/sms?c=ml",
        data=form,
        headers={"X-Twilio-Signature": sig},
    )
    assert resp.status_code == 200
    assert results == {"naive": False, "ours": True}


def test_signature_with_repeated_keys() -> None:
    form = MultiDict([("MessageSid", "SM1"), ("MediaUrl", "b"), ("MediaUrl", "a")])
    sig = _sign("https://p.example/x", form)
    assert signature_valid(TOKEN, "https://p.example/", "x", form, sig)
