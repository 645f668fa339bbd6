"""AfricasTalkingSender through the real africastalking SDK against the local fake API."""

from __future__ import annotations

import json

import pytest

from gateway.channels.africastalking import AfricasTalkingSender
from gateway.channels.base import ErrorKind, SendError
from tests.fakes.providers import FakeAfricasTalking, Reply

TO = "+22365987654"


def _sender(
    fake: FakeAfricasTalking, sender_id: str = "RELAIS", timeout: float = 5.0
) -> AfricasTalkingSender:
    return AfricasTalkingSender(
        "relais-ml", "atsk_key", sender_id, api_base_url=fake.url, timeout=timeout
    )


def test_send_success_records_request(fake_at: FakeAfricasTalking) -> None:
    result = _sender(fake_at).send(TO, "Réf K7Q2: cas accepté par DNPEF")
    assert result.provider_id.startswith("ATXid_")
    assert result.status == "sent"
    assert result.cost == "XOF 25.0000"
    [req] = fake_at.requests
    assert (req.method, req.path) == ("POST", "/version1/messaging")
    assert req.headers["Apikey"] == "atsk_key"
    assert req.headers["Accept"] == "application/json"
    assert req.form["username"] == "relais-ml"
    assert req.form["to"] == TO
    assert req.form["message"] == "Réf K7Q2: cas accepté par DNPEF"
    assert req.form["from"] == "RELAIS"


def test_send_without_sender_id_omits_from(fake_at: FakeAfricasTalking) -> None:
    _sender(fake_at, sender_id="").send(TO, "x")
    assert "from" not in fake_at.requests[0].form


@pytest.mark.parametrize("code", [100, 101, 102])
def test_success_codes(fake_at: FakeAfricasTalking, code: int) -> None:
    fake_at.script(fake_at.recipient_status(code))
    assert _sender(fake_at).send(TO, "x").provider_id.startswith("ATXid_")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (401, ErrorKind.ACCOUNT),
        (402, ErrorKind.ACCOUNT),
        (403, ErrorKind.INVALID_NUMBER),
        (404, ErrorKind.INVALID_NUMBER),
        (405, ErrorKind.ACCOUNT),
        (406, ErrorKind.OPTED_OUT),
        (407, ErrorKind.PERMANENT),
        (409, ErrorKind.PERMANENT),
        (500, ErrorKind.TRANSIENT),
        (501, ErrorKind.TRANSIENT),
        (502, ErrorKind.TRANSIENT),
    ],
)
def test_recipient_failures_in_2xx(fake_at: FakeAfricasTalking, code: int, kind: ErrorKind) -> None:
    fake_at.script(fake_at.recipient_status(code))
    with pytest.raises(SendError) as info:
        _sender(fake_at).send(TO, "x")
    assert info.value.kind is kind
    assert info.value.code == str(code)


def test_empty_recipients_is_permanent(fake_at: FakeAfricasTalking) -> None:
    fake_at.script(fake_at.no_recipients("InvalidSenderId"))
    with pytest.raises(SendError) as info:
        _sender(fake_at).send(TO, "x")
    assert info.value.kind is ErrorKind.PERMANENT
    assert info.value.detail == "InvalidSenderId"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (500, ErrorKind.TRANSIENT),
        (503, ErrorKind.TRANSIENT),
        (429, ErrorKind.TRANSIENT),
        (400, ErrorKind.PERMANENT),
        (401, ErrorKind.ACCOUNT),
    ],
)
def test_http_errors(fake_at: FakeAfricasTalking, status: int, kind: ErrorKind) -> None:
    fake_at.script(fake_at.http_error(status, "Request Failed"))
    with pytest.raises(SendError) as info:
        _sender(fake_at).send(TO, "x")
    assert info.value.kind is kind
    assert info.value.code == str(status)


def test_json_with_charset_is_parsed(fake_at: FakeAfricasTalking) -> None:
    body = {
        "SMSMessageData": {
            "Message": "Sent to 1/1",
            "Recipients": [
                {
                    "statusCode": "101",
                    "number": TO,
                    "status": "Success",
                    "cost": "XOF 25",
                    "messageId": "ATXid_1",
                }
            ],
        }
    }
    fake_at.script(Reply(201, json.dumps(body), content_type="application/json; charset=utf-8"))
    assert _sender(fake_at).send(TO, "x").provider_id == "ATXid_1"


def test_unreadable_success_is_transient(fake_at: FakeAfricasTalking) -> None:
    fake_at.script(Reply(201, "<html>maintenance</html>", content_type="text/html"))
    with pytest.raises(SendError) as info:
        _sender(fake_at).send(TO, "x")
    assert info.value.kind is ErrorKind.TRANSIENT


def test_timeout_is_transient(fake_at: FakeAfricasTalking) -> None:
    fake_at.default = fake_at.slow(3)
    with pytest.raises(SendError) as info:
        _sender(fake_at, timeout=0.5).send(TO, "x")
    assert info.value.kind is ErrorKind.TRANSIENT
    assert info.value.code == "timeout"


def test_connection_refused_is_transient() -> None:
    fake = FakeAfricasTalking().start()
    url = fake.url
    fake.stop()
    with pytest.raises(SendError) as info:
        AfricasTalkingSender("u", "k", api_base_url=url, timeout=1).send(TO, "x")
    assert info.value.kind is ErrorKind.TRANSIENT
    assert info.value.code == "network"  # never left: a retry cannot duplicate it


def test_a_connection_dropped_after_the_request_may_have_been_accepted(
    hang_up_url: str,
) -> None:
    with pytest.raises(SendError) as info:
        AfricasTalkingSender("u", "k", api_base_url=hang_up_url, timeout=3).send(TO, "x")
    assert (info.value.kind, info.value.code) == (ErrorKind.TRANSIENT, "dropped")


def test_sdk_rejects_number_format(fake_at: FakeAfricasTalking) -> None:
    with pytest.raises(SendError) as info:
        _sender(fake_at).send("65987654", "x")
    assert info.value.kind is ErrorKind.INVALID_NUMBER
    assert fake_at.requests == []


def test_two_senders_do_not_share_state(fake_at: FakeAfricasTalking) -> None:
    a = AfricasTalkingSender("alpha", "k1", api_base_url=fake_at.url)
    b = AfricasTalkingSender("beta", "k2", api_base_url=fake_at.url)
    a.send(TO, "x")
    b.send(TO, "y")
    assert [r.form["username"] for r in fake_at.requests] == ["alpha", "beta"]
    assert [r.headers["Apikey"] for r in fake_at.requests] == ["k1", "k2"]


def test_default_base_urls() -> None:
    assert AfricasTalkingSender("relais", "k")._get_service()._baseUrl == (
        "https://api.africastalking.com/version1"
    )
    assert AfricasTalkingSender("sandbox", "k")._get_service()._baseUrl == (
        "https://api.sandbox.africastalking.com/version1"
    )


def test_a_429_keeps_the_retry_after_it_asked_for(fake_at: FakeAfricasTalking) -> None:
    busy = fake_at.http_error(429, "Too Many Requests")
    fake_at.script(Reply(busy.status, busy.body, busy.content_type, headers={"Retry-After": "7"}))
    with pytest.raises(SendError) as info:
        _sender(fake_at).send(TO, "x")
    assert (info.value.kind, info.value.retry_after) == (ErrorKind.TRANSIENT, 7)
