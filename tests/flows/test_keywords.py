"""Keywords work at any step, in the three languages."""

from __future__ import annotations

import pytest

from gateway.flows.engine import start, step
from gateway.flows.model import CHANNELS, Flow, StepResult
from gateway.flows.text import fold

from .conftest import assert_fits

STATES = [
    "concern",
    "where",
    "region",
    "landmark",
    "count",
    "sex",
    "age",
    "danger",
    "extra",
    "consent",
    "updates",
]
PATH = {
    "concern": [],
    "where": ["1"],
    "region": ["1", "7"],
    "landmark": ["1", "1"],
    "count": ["1", "1", "0"],
    "sex": ["1", "1", "0", "2"],
    "age": ["1", "1", "0", "2", "1"],
    "danger": ["1", "1", "0", "2", "1", "1"],
    "extra": ["1", "1", "0", "2", "1", "1", "1"],
    "consent": ["1", "1", "0", "2", "1", "1", "1", "0"],
    "updates": ["1", "1", "0", "2", "1", "1", "1", "0", "1"],
}


def at(flow: Flow, sid: str, channel: str, language: str = "fr") -> StepResult:
    result = start(flow, channel, language)
    for text in PATH[sid]:
        result = step(flow, result.state, text, channel)
    assert result.state.state == sid
    return result


def names(result: StepResult) -> list[str]:
    return [a.name for a in result.actions]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("sid", STATES)
@pytest.mark.parametrize("word", ["STOP", "stop", "ARRÊT", "Arret", "a dabila"])
def test_stop_opts_out_anywhere(alert: Flow, sid: str, channel: str, word: str) -> None:
    result = step(alert, at(alert, sid, channel).state, word, channel)
    assert names(result) == ["opt_out"]
    assert result.done
    assert "START" in result.replies[0]
    assert_fits(result, channel)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("sid", STATES)
@pytest.mark.parametrize(("word", "language"), [("AIDE", "fr"), ("help", "en"), ("dɛmɛ", "bm")])
def test_help_keeps_the_question(
    alert: Flow, sid: str, channel: str, word: str, language: str
) -> None:
    before = at(alert, sid, channel, language)
    result = step(alert, before.state, word, channel)
    assert names(result) == ["help"]
    assert result.state == before.state
    assert not result.done
    assert_fits(result, channel)
    if channel == "sms":
        assert result.replies[-1].endswith(before.replies[-1])
    else:  # one screen: the (short) USSD help above the menu, never silently dropped
        screen = result.replies[0]
        assert fold(alert.text("help_ussd", language)) in fold(screen)
        last_line = before.replies[0].split("\n")[-1]
        assert fold(last_line) in fold(screen)


@pytest.mark.parametrize("sid", STATES)
@pytest.mark.parametrize("word", ["MENU", "recommencer", "RESTART"])
def test_restart_goes_back_to_first_question(alert: Flow, sid: str, word: str) -> None:
    result = step(alert, at(alert, sid, "sms", "en").state, word, "sms")
    assert names(result)[0] == "restart"
    assert result.state.state == "concern"  # language is remembered
    assert result.state.answers == {}
    assert result.state.language == "en"


@pytest.mark.parametrize("sid", STATES)
@pytest.mark.parametrize(
    "text",
    [
        "STATUS k7m2qp",
        "STATUT K7M2QP",
        "statut  K7M2QP ",
        # Typed as people type it: split, dashed, with words around it.
        "STATUT K7M2-QP",
        "Statut K7 M2 QP",
        "STATUT ref K7M2QP",
        "STATUT K7M2QP merci",
        "status of my K7M2QP please",
    ],
)
def test_status_query_anywhere(alert: Flow, sid: str, text: str) -> None:
    before = at(alert, sid, "sms")
    result = step(alert, before.state, text, "sms")
    assert [(a.name, a.payload) for a in result.actions] == [
        ("status_query", {"reference": "K7M2QP"})
    ]
    assert result.state == before.state and result.replies == []


def test_status_without_reference_explains(alert: Flow) -> None:
    result = step(alert, at(alert, "count", "sms").state, "STATUT", "sms")
    assert result.actions == []
    assert "STATUT" in result.replies[0]
    assert result.state.state == "count"


def test_start_opts_in_after_stop(alert: Flow) -> None:
    stopped = step(alert, at(alert, "sex", "sms").state, "STOP", "sms")
    result = step(alert, stopped.state, "START", "sms")
    assert names(result)[0] == "opt_in"
    assert result.state.state == "concern"
    assert not result.done


def test_status_word_in_a_free_text_answer_is_an_answer(alert: Flow) -> None:
    """Only a well-formed reference after the word makes it a status request."""
    result = step(alert, at(alert, "landmark", "sms").state, "suivi de la gare", "sms")
    assert result.actions == [] or "status_query" not in names(result)
    assert result.state.answers["landmark"] == "suivi de la gare"


def test_keyword_inside_free_text_is_an_answer(alert: Flow) -> None:
    result = step(alert, at(alert, "landmark", "sms").state, "arrêt de bus, stop", "sms")
    assert "opt_out" not in names(result)
    assert result.state.answers["landmark"] == "arrêt de bus, stop"


def test_message_after_the_end_starts_again(alert: Flow) -> None:
    result = at(alert, "updates", "sms", "bm")
    result = step(alert, result.state, "1", "sms")
    assert result.done
    again = step(alert, result.state, "hello", "sms")
    assert again.state.state == "concern" and again.state.language == "bm"
