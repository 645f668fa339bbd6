"""Hypothesis-generated webhook bodies never produce a 500."""

from __future__ import annotations

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import post_at, post_twilio

TWILIO_FIELDS = [
    "MessageSid",
    "SmsSid",
    "From",
    "To",
    "Body",
    "AccountSid",
    "MessageStatus",
    "ErrorCode",
]
AT_FIELDS = [
    "id",
    "from",
    "to",
    "text",
    "date",
    "linkId",
    "sessionId",
    "serviceCode",
    "phoneNumber",
    "networkCode",
]
AT_FIELDS += ["status", "failureReason", "durationInMillis"]
PHONES = st.sampled_from(["+22376123445", "0022365123456", "76123445", "+", "", "+999", "abc"])
VALUES = st.one_of(st.text(max_size=300), PHONES, st.just("*"), st.text("*1 ", max_size=40))


def forms(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    keys = st.one_of(st.sampled_from(fields), st.text(min_size=1, max_size=20))
    return st.dictionaries(keys, VALUES, max_size=len(fields) + 3)


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    form=forms(TWILIO_FIELDS),
    path=st.sampled_from(["/webhooks/twilio/sms", "/webhooks/twilio/status"]),
)
def test_signed_twilio_bodies_never_500(app: Flask, form: dict[str, str], path: str) -> None:
    response = post_twilio(app.test_client(), path, form)
    assert response.status_code in {200, 400}, response.data


@FUZZ
@given(
    form=forms(AT_FIELDS),
    path=st.sampled_from(
        [
            "/webhooks/africastalking/sms",
            "/webhooks/africastalking/delivery",
            "/webhooks/africastalking/ussd",
            "/webhooks/africastalking/ussd/end",
        ]
    ),
)
def test_africastalking_bodies_never_500(app: Flask, form: dict[str, str], path: str) -> None:
    response = post_at(app.test_client(), path, form)
    assert response.status_code in {200, 400}, response.data
    if path.endswith("/ussd") and response.status_code == 200:
        body = response.get_data(as_text=True)
        assert body.startswith(("CON ", "END ")) and len(body) <= 182


@FUZZ
@given(raw=st.binary(max_size=2000), token=st.sampled_from(["", "?token=test-at-webhook-token"]))
def test_raw_bytes_never_500(app: Flask, raw: bytes, token: str) -> None:
    client = app.test_client()
    for path in (
        "/webhooks/twilio/sms",
        "/webhooks/africastalking/sms",
        "/webhooks/africastalking/ussd",
    ):
        response = client.post(
            path + token, data=raw, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code in {200, 400, 403}, (path, response.data)
