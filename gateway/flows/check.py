"""Static checks of a flow file, for authors and CI (``check_flow``).

Reports, each with file and line: load errors (YAML, schema, missing
translations, unknown names), unreachable states, dead ends (a question
without a default transition, or from which no final state can be reached),
guards on answers the question cannot give, SMS texts over one segment (with
their encoding and length, measured with :mod:`gateway.encoding` after
folding) and USSD screens over 182 characters including the ``CON ``/``END ``
prefix, for every language and every page.
"""

from __future__ import annotations

from pathlib import Path

from gateway.encoding import prepare
from gateway.flows.answers import menu_options
from gateway.flows.errors import FlowError, Problem
from gateway.flows.loader import load_flow
from gateway.flows.model import UNKNOWN, Flow
from gateway.flows.reference import LENGTH
from gateway.flows.render import (
    USSD_LIMIT,
    USSD_PREFIX_LEN,
    fill,
    hint_text,
    prompt_text,
    sms_question,
    ussd_pages,
)
from gateway.flows.yamlsource import JsonPath, line_of, read_yaml

_SAMPLE = {"reference": "X" * LENGTH, "min": 99, "max": 99, "parts": ""}


def reachable(flow: Flow) -> set[str]:
    """Return the ids of the states reachable from the start state."""
    seen = {flow.start}
    todo = [flow.start]
    while todo:
        for transition in flow.states[todo.pop()].transitions:
            if transition.goto not in seen:
                seen.add(transition.goto)
                todo.append(transition.goto)
    return seen


def _can_finish(flow: Flow) -> set[str]:
    """Return the ids of the states from which a final state can be reached."""
    good = {sid for sid, s in flow.states.items() if s.final}
    changed = True
    while changed:
        changed = False
        for sid, state in flow.states.items():
            if sid not in good and any(t.goto in good for t in state.transitions):
                good.add(sid)
                changed = True
    return good


def _graph_problems(flow: Flow) -> list[Problem]:
    problems = []
    live = reachable(flow)
    finishing = _can_finish(flow)
    for sid, state in flow.states.items():
        if sid not in live:
            problems.append(
                Problem(flow.path, state.line, f"state {sid!r} is unreachable", "unreachable")
            )
        if state.final:
            continue
        if not any(t.when is None for t in state.transitions):
            problems.append(
                Problem(
                    flow.path,
                    state.line,
                    f"state {sid!r} has no default transition (dead end)",
                    "dead_end",
                )
            )
        elif sid not in finishing:
            problems.append(
                Problem(
                    flow.path,
                    state.line,
                    f"no final state can be reached from {sid!r} (dead end)",
                    "dead_end",
                )
            )
        values = {o.value for o in menu_options(flow, state)} | {UNKNOWN}
        for transition in state.transitions:
            answer = transition.when.answer if transition.when else None
            if answer is not None and state.type != "text" and answer not in values:
                problems.append(
                    Problem(
                        flow.path,
                        transition.line,
                        f"state {sid!r}: guard on answer {answer!r}, which is "
                        "not one of its options",
                        "guard",
                    )
                )
    return problems


def _sms(problems: list[Problem], file: str, line: int, what: str, text: str) -> None:
    info = prepare(fill(text, **_SAMPLE))
    if info.segments > 1:
        problems.append(
            Problem(
                file,
                line,
                f"{what}: SMS takes {info.segments} segments "
                f"({info.encoding}, {info.length} chars)",
                "sms_length",
            )
        )


def _ussd(problems: list[Problem], file: str, line: int, what: str, body: str) -> None:
    size = len(prepare(fill(body, **_SAMPLE)).text) + USSD_PREFIX_LEN
    if size > USSD_LIMIT:
        problems.append(
            Problem(
                file,
                line,
                f"{what}: USSD screen is {size} chars (limit {USSD_LIMIT} with prefix)",
                "ussd_length",
            )
        )


def _length_problems(flow: Flow, lines: dict[JsonPath, int]) -> list[Problem]:
    problems: list[Problem] = []
    file = flow.path
    for lang in flow.languages:
        for sid, state in flow.states.items():
            line = line_of(lines, ("states", sid, "prompt", lang))
            where = f"state {sid!r} [{lang}]"
            if state.final:
                _sms(problems, file, line, where, prompt_text(flow, state, lang))
                _ussd(problems, file, line, where, prompt_text(flow, state, lang))
                continue
            _sms(problems, file, line, where, sms_question(flow, state, lang))
            _sms(problems, file, line, f"{where} hint", hint_text(flow, state, lang))
            for number, page in enumerate(ussd_pages(flow, state, lang), start=1):
                _ussd(problems, file, line, f"{where} page {number}", page)
        for key, texts in flow.texts.items():
            line = line_of(lines, ("texts", key, lang))
            _sms(problems, file, line, f"text {key!r} [{lang}]", texts.get(lang, ""))
            _ussd(problems, file, line, f"text {key!r} [{lang}]", texts.get(lang, ""))
    return problems


def check_flow(path: str | Path) -> list[Problem]:
    """Check the flow file at ``path``; return every problem found (empty when clean)."""
    try:
        flow = load_flow(path)
    except FlowError as exc:
        return list(exc.problems)
    _, lines = read_yaml(path)
    return sorted(_graph_problems(flow) + _length_problems(flow, lines))
