"""Walk every edge of every shipped flow, in every language, on SMS and USSD.

For every state and every kind of input it accepts (each option of each
menu, yes/no/not sure, numbers at both bounds, free text, skip, invalid
answers up to and past the retry limit), the walker reaches the state along
the shortest known path, sends the input, then finishes with the first
option until the conversation ends. Every reply must fit its channel.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import pytest

from gateway.flows.answers import menu_options
from gateway.flows.engine import advance_ussd, start, step
from gateway.flows.model import CHANNELS, ConversationState, Flow, StateDef, StepResult

from .conftest import SHIPPED, assert_fits

MAX_STEPS = 60


def inputs_for(flow: Flow, state: StateDef) -> Iterator[list[str]]:
    """Yield input sequences exercising every edge of ``state``."""
    options = menu_options(flow, state)
    for index in range(1, len(options) + 1):
        yield [str(index)]
    if state.type == "number":
        low, high = state.minimum or 0, state.maximum or 0
        yield [str(low)]
        yield [str(high)]
        yield [f"environ {(low + high) // 2} enfants"]
    if state.type == "text":
        yield ["Marché Médine, près de la mosquée"]
        if state.skippable:
            yield ["0"]
    invalid = "" if state.type == "text" else "zzz ???"
    for count in range(1, flow.max_retries + 2):
        yield [invalid] * count


def first_valid(flow: Flow, state: StateDef) -> str:
    """Return an input that ``state`` accepts."""
    if menu_options(flow, state):
        return "1"
    if state.type == "number":
        return str(state.minimum or 1)
    return "Marche Medine"


class Walker:
    """Drive one conversation on one channel, checking every reply."""

    def __init__(self, flow: Flow, channel: str) -> None:
        self.flow, self.channel = flow, channel
        self.raw = ""
        self.seen: list[StepResult] = []

    def begin(self, language: str | None) -> StepResult:
        if self.channel == "ussd":
            result = advance_ussd(self.flow, None, "", language)
        else:
            result = start(self.flow, "sms", language)
        return self.check(result)

    def send(self, state: ConversationState, text: str) -> StepResult:
        if self.channel == "ussd":
            self.raw = text if not self.raw else f"{self.raw}*{text}"
            return self.check(advance_ussd(self.flow, state, self.raw))
        return self.check(step(self.flow, state, text, "sms"))

    def check(self, result: StepResult) -> StepResult:
        assert_fits(result, self.channel)
        self.seen.append(result)
        return result


def shortest_paths(flow: Flow, state: ConversationState) -> dict[str, list[str]]:
    """Map each state id to the first-option inputs reaching it from ``state``."""
    paths = {state.state: []}
    queue = deque([state.state])
    while queue:
        sid = queue.popleft()
        sdef = flow.states[sid]
        for transition in sdef.transitions:
            if transition.goto in paths:
                continue
            options = menu_options(flow, sdef)
            wanted = transition.when.answer if transition.when else None
            values = [o.value for o in options]
            text = str(values.index(wanted) + 1) if wanted in values else first_valid(flow, sdef)
            paths[transition.goto] = [*paths[sid], text]
            queue.append(transition.goto)
    return paths


def run_to_end(walker: Walker, result: StepResult, inputs: list[str]) -> StepResult:
    """Send ``inputs`` then the first valid answer until the conversation ends."""
    for text in inputs:
        assert not result.done
        result = walker.send(result.state, text)
    for _ in range(MAX_STEPS):
        if result.done:
            return result
        result = walker.send(
            result.state, first_valid(walker.flow, walker.flow.states[result.state.state])
        )
    raise AssertionError("conversation did not end")


def edge_cases(flow: Flow) -> Iterator[tuple[str | None, str, list[str]]]:
    """Yield (known language, state id, inputs) for every edge of every state."""
    for language in (None, *flow.languages):
        probe = start(flow, "sms", language)
        for sid, path in shortest_paths(flow, probe.state).items():
            state = flow.states[sid]
            if state.final:
                continue
            if language is None and sid != flow.start:
                continue  # later states are walked with a known language
            for inputs in inputs_for(flow, state):
                yield language, sid, [*path, *inputs]


CASES = [
    pytest.param(name, channel, language, inputs, id=f"{name}-{channel}-{language}-{sid}-{i}")
    for name, flow in SHIPPED.items()
    for channel in CHANNELS
    for i, (language, sid, inputs) in enumerate(edge_cases(flow))
]


@pytest.mark.parametrize(("name", "channel", "language", "inputs"), CASES)
def test_every_edge_reaches_an_end(
    name: str, channel: str, language: str | None, inputs: list[str]
) -> None:
    flow = SHIPPED[name]
    walker = Walker(flow, channel)
    result = run_to_end(walker, walker.begin(language), inputs)
    assert result.done
    names = [a.name for a in result.actions]
    assert "end" in names or "create_alert" in names
    if "create_alert" in names:
        assert "{reference}" in result.replies[-1]


def test_every_state_and_option_is_covered() -> None:
    """The generated cases reach every state of every shipped flow."""
    for name, flow in SHIPPED.items():
        reached = set()
        for language in (None, *flow.languages):
            reached |= set(shortest_paths(flow, start(flow, "sms", language).state))
        assert reached == set(flow.states), name


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("language", ["fr", "bm", "en"])
def test_full_alert_answers(channel: str, language: str) -> None:
    """A full path saves the expected answers, whatever the channel and language."""
    flow = SHIPPED["alert"]
    walker = Walker(flow, channel)
    result = walker.begin(None)
    language_index = [o.value for o in flow.states["language"].options].index(language) + 1
    answers = ["4", "7", "5", "0", "3", "1", "9 ans", "1", "rien", "2", "2"]
    for text in [str(language_index), *answers]:
        result = walker.send(result.state, text)
    assert result.done
    alert = next(a for a in result.actions if a.name == "create_alert")
    assert alert.payload["language"] == language
    assert alert.payload["channel"] == channel
    assert alert.payload["answers"] == {
        "concern": "exploitation",
        "place": "ML-5",
        "landmark": "",
        "children_count": 3,
        "sex": "girl",
        "age_band": "5-11",
        "immediate_danger": "yes",
        "risk": "high",
        "details": "",
        "consent_callback": "no",
        "consent_messages": "no",
    }


def test_required_question_ends_politely_after_retries(alert: Flow) -> None:
    result = start(alert, "sms", "fr")
    for attempt in range(alert.max_retries):
        result = step(alert, result.state, "blabla", "sms")
        assert not result.done
        assert result.state.retries == attempt + 1
        assert "1 à 6" in " ".join(result.replies)
    result = step(alert, result.state, "blabla", "sms")
    assert result.done
    assert result.actions[-1].payload["reason"] == "invalid_answers"
    assert "ALERTE" in result.replies[0] and "17" in result.replies[0]


def test_optional_question_moves_on_with_unknown(alert: Flow) -> None:
    result = start(alert, "sms", "en")
    result = step(alert, result.state, "1", "sms")  # concern
    for _ in range(alert.max_retries + 1):
        result = step(alert, result.state, "on the moon", "sms")
    assert result.state.answers["place"] == "unknown"
    assert result.state.state == "landmark"


def test_danger_not_sure_is_medium_risk(alert: Flow) -> None:
    result = start(alert, "sms", "fr")
    for text in ["1", "1", "0", "1", "1", "1", "je ne sais pas"]:
        result = step(alert, result.state, text, "sms")
    assert result.state.answers["immediate_danger"] == "unsure"
    assert result.state.answers["risk"] == "medium"


def test_ussd_paging(long_menu: Flow) -> None:
    walker = Walker(long_menu, "ussd")
    first = walker.begin("fr")
    assert first.replies[0].endswith("0 Suite")
    pages = [first.replies[0]]
    result = first
    while True:
        result = walker.send(result.state, "0")
        if result.replies[0] == pages[0]:
            break
        pages.append(result.replies[0])
        assert len(pages) < 10
    assert len(pages) > 1
    shown = "\n".join(pages)
    for i in range(1, 13):
        assert f"\n{i} Activit" in shown
    result = walker.send(result.state, "0")  # page 2
    result = walker.send(result.state, "12")  # option numbers are stable across pages
    assert result.done and result.state.answers["activity"] == "v12"


def test_ussd_paging_label_per_language(long_menu: Flow) -> None:
    for language, label in [("en", "0 More"), ("bm", "0 Nataw")]:
        assert start(long_menu, "ussd", language).replies[0].endswith(label)


def test_state_round_trips_through_json(alert: Flow) -> None:
    import json

    result = start(alert, "ussd", "bm")
    result = step(alert, result.state, "3", "ussd")
    restored = ConversationState.from_dict(json.loads(json.dumps(result.state.to_dict())))
    assert restored == result.state
    assert step(alert, restored, "2", "ussd") == step(alert, result.state, "2", "ussd")


def test_known_language_skips_language_question(alert: Flow) -> None:
    assert start(alert, "sms", "en").state.state == "concern"
    assert start(alert, "sms", None).state.state == "language"
    assert start(alert, "sms", "xx").state.state == "language"


def test_ussd_input_containing_star(alert: Flow) -> None:
    result = advance_ussd(alert, None, "", "fr")
    raw = "*".join(["1", "1", "0"])
    for cut in (1, 3, 5):
        result = advance_ussd(alert, result.state, raw[:cut])
    assert result.state.state == "count"
    result = advance_ussd(alert, result.state, raw + "*" + "2*3")
    # "2*3" is one input (read as a whole, first number 2), not the last field "3"
    assert result.state.answers["children_count"] == 2
    result = advance_ussd(alert, result.state, raw + "*2*3*4")
    assert result.state.answers["sex"] == "unknown"  # option 4 of the sex question
