"""Random inputs never crash the engine and every reply fits its channel."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.flows.answers import parse_answer
from gateway.flows.engine import advance_ussd, start, step
from gateway.flows.model import Flow

from .conftest import SHIPPED, assert_fits

ALERT = SHIPPED["alert"]
TRICKY = [
    "*",
    "**",
    "0",
    "00",
    "1",
    "2",
    "7",
    "STOP",
    "aide",
    "MENU",
    "STATUT ABC234",
    "",
    " ",
    "\n",
    "ⵜⴰⵎⴰⵣⵉⵖⵜ",
    "مرحبا بالعالم",
    "שלום",
    "\u202eRTL\u202c",
    "🙂👍🏽",
    "\x00",
    "ɛɔɲŋ",
    "1*2*3",
    "9" * 50,
]
inputs = st.one_of(
    st.text(max_size=300),
    st.sampled_from(TRICKY),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=5), st.integers(300, 3000)),
    st.from_regex(r"[0-9*#]{0,20}", fullmatch=True),
)
languages = st.sampled_from([None, "fr", "bm", "en", "xx"])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.sampled_from(sorted(SHIPPED)), languages, st.lists(inputs, max_size=25))
def test_sms_never_crashes_and_fits(name: str, language: str | None, texts: list[str]) -> None:
    flow: Flow = SHIPPED[name]
    result = start(flow, "sms", language)
    assert_fits(result, "sms")
    for text in texts:
        result = step(flow, result.state, text, "sms")
        assert_fits(result, "sms")
        assert result.state.state in flow.states


@SETTINGS
@given(st.sampled_from(sorted(SHIPPED)), languages, st.lists(inputs, max_size=25))
def test_ussd_never_crashes_and_fits(name: str, language: str | None, texts: list[str]) -> None:
    flow: Flow = SHIPPED[name]
    result = advance_ussd(flow, None, "", language)
    assert_fits(result, "ussd")
    raw = ""
    for text in texts:
        raw = f"{raw}*{text}" if raw else text
        result = advance_ussd(flow, result.state, raw)
        assert_fits(result, "ussd")


@SETTINGS
@given(st.sampled_from(sorted(ALERT.states)), inputs)
def test_parse_answer_total(sid: str, text: str) -> None:
    value = parse_answer(ALERT, ALERT.states[sid], text)
    assert value is None or isinstance(value, str | int)
