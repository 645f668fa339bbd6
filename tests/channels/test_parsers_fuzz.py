"""Every parse_* function only ever raises InvalidPayload or InvalidNumber."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.channels import africastalking as at
from gateway.channels import twilio as tw
from gateway.channels.base import InvalidPayload
from gateway.phones import InvalidNumber

NOW = datetime(2024, 3, 14, tzinfo=UTC)
KEYS = [
    "MessageSid",
    "SmsSid",
    "From",
    "To",
    "Body",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    "id",
    "from",
    "to",
    "text",
    "date",
    "linkId",
    "status",
    "failureReason",
    "cost",
    "sessionId",
    "serviceCode",
    "phoneNumber",
    "networkCode",
    "durationInMillis",
    "errorMessage",
]
VALUES = st.one_of(
    st.text(),
    st.text(alphabet="+0123456789 *#", max_size=20),
    st.sampled_from(
        [
            "+22376123445",
            "0022365987654",
            "76123445",
            "SM" + "a" * 32,
            "delivered",
            "Success",
            "Failed",
            "1*2",
            "",
            " ",
        ]
    ),
    st.text(min_size=1590, max_size=1700),
)
FORMS = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=10)), VALUES, max_size=12)

PARSERS: dict[str, Callable[[Mapping[str, str]], Any]] = {
    "twilio.parse_inbound": lambda f: tw.parse_inbound(f, NOW),
    "twilio.parse_status": tw.parse_status,
    "at.parse_inbound_sms": lambda f: at.parse_inbound_sms(f, NOW),
    "at.parse_delivery": at.parse_delivery,
    "at.parse_ussd": lambda f: at.parse_ussd(f, NOW),
    "at.parse_ussd_end": at.parse_ussd_end,
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=300, deadline=None, database=None)
@given(form=FORMS)
def test_parsers_raise_only_expected_errors(name: str, form: dict[str, str]) -> None:
    with contextlib.suppress(InvalidPayload, InvalidNumber):
        PARSERS[name](form)


@settings(max_examples=300, deadline=None, database=None)
@given(
    previous=st.one_of(st.none(), st.text(alphabet="12*#ab", max_size=15)),
    text=st.text(alphabet="12*#ab", max_size=20),
)
def test_latest_input_total(previous: str | None, text: str) -> None:
    out = at.latest_input(previous, text)
    assert text.endswith(out)
    if previous and text.startswith(previous + "*"):
        assert previous + "*" + out == text


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.text(max_size=400), end=st.booleans())
def test_render_ussd_bounded(text: str, end: bool) -> None:
    out = at.render_ussd(text, end)
    assert len(out) <= 182
    assert out.startswith("END " if end else "CON ")


@settings(database=None)
@given(expected=st.text(), given_=st.one_of(st.none(), st.text()))
def test_token_valid_total(expected: str, given_: str | None) -> None:
    assert at.token_valid(expected, given_) == (bool(expected) and expected == given_)
