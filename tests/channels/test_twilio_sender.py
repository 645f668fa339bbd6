"""TwilioSender through the real twilio SDK against the local fake API."""

from __future__ import annotations

import json

import pytest

from gateway.channels.base import ErrorKind, SendError
from gateway.channels.twilio import TwilioSender
from tests.fakes.providers import FakeTwilio, Reply

SID = "AC0123456789abcdef0123456789abcdef"
TO = "+22376123445"
FROM = "+15005550006"


def _sender(fake: FakeTwilio, timeout: float = 5.0) -> TwilioSender:
    return TwilioSender(SID, "token", FROM, api_base_url=fake.url, timeout=timeout)


def test_send_success_records_request(fake_twilio: FakeTwilio) -> None:
    sender = _sender(fake_twilio)
    result = sender.send(
        TO, "Réf K7Q2: enfant pris en charge", status_callback="https://r.example/s?t=1"
    )
    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.status == "queued"
    assert result.cost is None
    [req] = fake_twilio.requests
    assert req.method == "POST"
    assert req.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert req.auth_username == SID
    assert req.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert req.form == {
        "To": TO,
        "From": FROM,
        "Body": "Réf K7Q2: enfant pris en charge",
        "StatusCallback": "https://r.example/s?t=1",
    }


def test_send_without_callback_and_client_reused(fake_twilio: FakeTwilio) -> None:
    sender = _sender(fake_twilio)
    first = sender.send(TO, "un")
    second = sender.send(TO, "deux")
    assert first.provider_id != second.provider_id
    assert "StatusCallback" not in fake_twilio.requests[0].form
    assert sender._get_client() is sender._get_client()


def test_send_reports_price(fake_twilio: FakeTwilio) -> None:
    body = {"sid": "SM" + "0" * 32, "status": "sent", "price": "-0.0750", "price_unit": "USD"}
    fake_twilio.script(Reply(201, json.dumps(body)))
    result = _sender(fake_twilio).send(TO, "x")
    assert (result.provider_id, result.status, result.cost) == ("SM" + "0" * 32, "sent", "-0.0750")


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (20429, 429, ErrorKind.TRANSIENT),
        (30003, 400, ErrorKind.TRANSIENT),
        (30008, 400, ErrorKind.TRANSIENT),
        (20500, 500, ErrorKind.TRANSIENT),
        (20503, 503, ErrorKind.TRANSIENT),
        (21610, 400, ErrorKind.OPTED_OUT),
        (30004, 400, ErrorKind.PERMANENT),
        (30007, 400, ErrorKind.PERMANENT),
        (30005, 400, ErrorKind.INVALID_NUMBER),
        (30006, 400, ErrorKind.INVALID_NUMBER),
        (21211, 400, ErrorKind.INVALID_NUMBER),
        (21614, 400, ErrorKind.INVALID_NUMBER),
        (21606, 400, ErrorKind.PERMANENT),
        (20003, 401, ErrorKind.ACCOUNT),
    ],
)
def test_send_error_codes(fake_twilio: FakeTwilio, code: int, status: int, kind: ErrorKind) -> None:
    fake_twilio.script(fake_twilio.error(code, status))
    with pytest.raises(SendError) as info:
        _sender(fake_twilio).send(TO, "x")
    assert info.value.kind is kind
    assert info.value.code == str(code)
    assert info.value.extra["http_status"] == str(status)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (500, ErrorKind.TRANSIENT),
        (502, ErrorKind.TRANSIENT),
        (429, ErrorKind.TRANSIENT),
        (404, ErrorKind.PERMANENT),
    ],
)
def test_send_bare_http_errors(fake_twilio: FakeTwilio, status: int, kind: ErrorKind) -> None:
    fake_twilio.script(fake_twilio.http_error(status, "<html>oops</html>"))
    with pytest.raises(SendError) as info:
        _sender(fake_twilio).send(TO, "x")
    assert info.value.kind is kind


def test_scripted_queue_then_default(fake_twilio: FakeTwilio) -> None:
    fake_twilio.script(fake_twilio.error(20429, 429), fake_twilio.http_error(503))
    sender = _sender(fake_twilio)
    for _ in range(2):
        with pytest.raises(SendError) as info:
            sender.send(TO, "x")
        assert info.value.transient
    assert sender.send(TO, "x").provider_id.startswith("SM")
    assert len(fake_twilio.requests) == 3


def test_timeout_is_transient(fake_twilio: FakeTwilio) -> None:
    fake_twilio.default = fake_twilio.slow(3)
    with pytest.raises(SendError) as info:
        _sender(fake_twilio, timeout=0.5).send(TO, "x")
    assert info.value.kind is ErrorKind.TRANSIENT
    assert info.value.code == "timeout"


def test_connection_refused_is_transient() -> None:
    fake = FakeTwilio().start()
    url = fake.url
    fake.stop()
    sender = TwilioSender(SID, "token", FROM, api_base_url=url, timeout=1)
    with pytest.raises(SendError) as info:
        sender.send(TO, "x")
    assert info.value.kind is ErrorKind.TRANSIENT
    assert info.value.code == "network"  # never left: a retry cannot duplicate it


def test_a_connection_dropped_after_the_request_may_have_been_accepted(
    hang_up_url: str,
) -> None:
    sender = TwilioSender(SID, "token", FROM, api_base_url=hang_up_url, timeout=3)
    with pytest.raises(SendError) as info:
        sender.send(TO, "x")
    assert (info.value.kind, info.value.code) == (ErrorKind.TRANSIENT, "dropped")


def test_unreadable_success_is_transient(fake_twilio: FakeTwilio) -> None:
    fake_twilio.script(fake_twilio.http_error(201, "<html>not json</html>"))
    with pytest.raises(SendError) as info:
        _sender(fake_twilio).send(TO, "x")
    assert info.value.kind is ErrorKind.TRANSIENT


def test_edge_and_region_from_environment_ignored_for_fake(
    fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    assert _sender(fake_twilio).send(TO, "x").provider_id.startswith("SM")


def test_secret_not_in_repr() -> None:
    assert "s3cret" not in repr(TwilioSender(SID, "s3cret", FROM))


def test_a_429_keeps_the_retry_after_it_asked_for(fake_twilio: FakeTwilio) -> None:
    """TwilioRestException drops the headers: the sender's HTTP client keeps them."""
    limited = fake_twilio.error(20429, 429)
    fake_twilio.script(
        Reply(limited.status, limited.body, limited.content_type, headers={"Retry-After": "42"}),
        fake_twilio.error(20429, 429),
    )
    sender = _sender(fake_twilio)
    with pytest.raises(SendError) as info:
        sender.send(TO, "x")
    assert info.value.retry_after == 42
    with pytest.raises(SendError) as info:
        sender.send(TO, "x")
    assert info.value.retry_after is None  # not left over from the previous answer
