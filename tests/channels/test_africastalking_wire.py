"""Africa's Talking callbacks, USSD helpers and token check (pure functions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from gateway.channels.africastalking import (
    UssdEnd,
    latest_input,
    parse_delivery,
    parse_inbound_sms,
    parse_ussd,
    parse_ussd_end,
    render_ussd,
    token_valid,
)
from gateway.channels.base import InvalidPayload
from gateway.phones import InvalidNumber

NOW = datetime(2024, 3, 14, 9, 21, 7, tzinfo=UTC)
Payload = Callable[[str, str], dict[str, str]]


def test_parse_inbound_sms(payload: Payload) -> None:
    msg = parse_inbound_sms(payload("africastalking", "inbound_sms"), NOW)
    assert msg.channel == "africastalking"
    assert msg.provider_id == "0e9a7b2c-4d1f-4a8e-9c3b-5f6d7e8a9b0c"
    assert msg.sender == "+22376123445"
    assert msg.recipient == "36001"
    assert msg.text == "ENA 2 garçons Commune IV marché Lafiabougou"
    assert msg.received_at == NOW


@pytest.mark.parametrize("missing", ["id", "from"])
def test_parse_inbound_sms_missing(payload: Payload, missing: str) -> None:
    form = payload("africastalking", "inbound_sms")
    del form[missing]
    with pytest.raises(InvalidPayload):
        parse_inbound_sms(form, NOW)


def test_parse_inbound_sms_bad_sender_and_oversize(payload: Payload) -> None:
    form = payload("africastalking", "inbound_sms")
    with pytest.raises(InvalidNumber):
        parse_inbound_sms(form | {"from": "SAFARICOM"}, NOW)
    with pytest.raises(InvalidPayload):
        parse_inbound_sms(form | {"text": "x" * 1601}, NOW)
    assert parse_inbound_sms(form | {"text": ""}, NOW).text == ""


def test_parse_delivery(payload: Payload) -> None:
    ok = parse_delivery(payload("africastalking", "delivery_success"))
    assert (ok.provider_id, ok.status, ok.error_code) == (
        "ATXid_3b5d7f9a1c2e4f6a8b0c1d2e3f4a5b6c",
        "delivered",
        None,
    )
    failed = parse_delivery(payload("africastalking", "delivery_failed"))
    assert (failed.status, failed.error_code, failed.raw_status) == (
        "failed",
        "UserInBlackList",
        "Failed",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Success", "delivered"),
        ("Sent", "sent"),
        ("Submitted", "sent"),
        ("Buffered", "sent"),
        ("Rejected", "failed"),
        ("Failed", "failed"),
        ("Expired", "failed"),
    ],
)
def test_parse_delivery_statuses(payload: Payload, raw: str, expected: str) -> None:
    form = payload("africastalking", "delivery_success") | {"status": raw}
    assert parse_delivery(form).status == expected


def test_parse_delivery_bad(payload: Payload) -> None:
    form = payload("africastalking", "delivery_success")
    with pytest.raises(InvalidPayload):
        parse_delivery(form | {"status": "Teleported"})
    with pytest.raises(InvalidPayload):
        parse_delivery(form | {"id": ""})


def test_parse_ussd(payload: Payload) -> None:
    first = parse_ussd(payload("africastalking", "ussd_first"), NOW)
    assert first.session_id == "ATUid_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
    assert first.service_code == "*384*2211#"
    assert first.phone_number == "+22365987654"
    assert first.network_code == "61001"
    assert first.text == ""
    nxt = parse_ussd(payload("africastalking", "ussd_continue"), NOW)
    assert nxt.text == "1*2"
    assert latest_input(first.text, nxt.text) == "1*2"


@pytest.mark.parametrize("missing", ["sessionId", "serviceCode", "phoneNumber"])
def test_parse_ussd_missing(payload: Payload, missing: str) -> None:
    form = payload("africastalking", "ussd_continue")
    del form[missing]
    with pytest.raises(InvalidPayload):
        parse_ussd(form, NOW)


def test_parse_ussd_end(payload: Payload) -> None:
    end = parse_ussd_end(payload("africastalking", "ussd_end"))
    assert end == UssdEnd("ATUid_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", "Success", 45670, None)
    odd = parse_ussd_end({"sessionId": "x", "durationInMillis": "abc", "errorMessage": "boom"})
    assert (odd.duration_ms, odd.error_message, odd.status) == (None, "boom", "")


@pytest.mark.parametrize(
    ("previous", "text", "expected"),
    [
        (None, "", ""),
        ("", "1", "1"),
        ("1", "1*2", "2"),
        ("1*2", "1*2*3*4", "3*4"),  # the input itself contained "*"
        ("1*2", "1*2*3", "3"),
        ("1", "1*", ""),  # empty input sent
        ("1*", "1**5", "5"),  # after an empty input
        ("1", "1**5", "*5"),  # input starting with "*"
        ("12", "12*34", "34"),
        ("1*2", "9*8", "8"),  # does not extend: last part
        ("1*2", "1*2", "2"),  # repeated request: last part
        ("1*2", "1*23", "23"),  # "1*23" does not extend "1*2" + "*"
        (None, "3", "3"),  # dialled *384*2211*3#: first text already set
    ],
)
def test_latest_input(previous: str | None, text: str, expected: str) -> None:
    assert latest_input(previous, text) == expected


@pytest.mark.parametrize("end", [True, False])
def test_render_ussd(end: bool) -> None:
    prefix = "END " if end else "CON "
    assert render_ussd("Bienvenue\n1. Signaler", end) == prefix + "Bienvenue\n1. Signaler"
    exact = "a" * 178
    assert render_ussd(exact, end) == prefix + exact
    long = render_ussd("x" * 500, end)
    assert len(long) == 182
    assert long.startswith(prefix)
    assert long.endswith("...")


def test_render_ussd_never_splits_combining_sequence() -> None:
    text = "e" * 174 + "\u0628\u0651" * 10  # Arabic (kept as is) with a combining shadda
    # a plain cut at 175 would separate the letter at 174 from its mark at 175
    assert render_ussd(text, end=False) == "CON " + "e" * 174 + "..."


def test_render_ussd_folds_to_gsm7() -> None:
    """A decomposed accent is composed; Bambara letters get their GSM-7 forms."""
    folded = render_ussd("e\u0301t\u00e9 \u0254 \u025b", end=True)
    assert folded == "END \u00e9t\u00e9 \u00f2 \u00e8"


def test_token_valid() -> None:
    assert token_valid("s3cret-token", "s3cret-token")
    assert not token_valid("s3cret-token", "s3cret-tokem")
    assert not token_valid("s3cret-token", None)
    assert not token_valid("s3cret-token", "")
    assert not token_valid("", "")
    assert not token_valid("", None)
    assert not token_valid("s3cret-token", "sécret-\udcff")  # non-ASCII never raises
