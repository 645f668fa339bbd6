"""Load flow files: safe YAML, JSON Schema validation, translations, references.

:func:`load_flow` reads a flow file and the places and lexicon files it names
(default ``places.yaml`` and ``lexicon.yaml`` next to it), validates each
against ``schema.json`` (JSON Schema Draft 2020-12), checks that every text
exists in every language of the flow and that every state named exists, and
returns a :class:`~gateway.flows.model.Flow`. Every error names the file and
the line; all errors found are reported at once in a :class:`FlowError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from gateway.flows.errors import FlowError, Problem
from gateway.flows.model import ActionDef, Flow, Guard, Lexicon, Option, Place, StateDef, Transition
from gateway.flows.text import fold
from gateway.flows.yamlsource import JsonPath, format_path, line_of, read_yaml

SCHEMA_PATH = Path(__file__).with_name("schema.json")
FLOWS_DIR = Path(__file__).resolve().parent.parent.parent / "flows"


@cache
def schema() -> dict[str, Any]:
    """Return the JSON Schema shipped with the package."""
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def validate(data: Any, definition: str, file: str, lines: dict[JsonPath, int]) -> list[Problem]:
    """Validate ``data`` against ``#/$defs/<definition>``; return problems with lines."""
    full = schema()
    root = {"$schema": full["$schema"], "$defs": full["$defs"], "$ref": f"#/$defs/{definition}"}
    validator = jsonschema.Draft202012Validator(root)
    problems = []
    for error in validator.iter_errors(data):
        path: JsonPath = tuple(error.absolute_path)
        message = _best_message(error)
        problems.append(Problem(file, line_of(lines, path), f"{format_path(path)}: {message}"))
    return problems


def _best_message(error: jsonschema.ValidationError) -> str:
    """Prefer the deepest sub-error of a oneOf/anyOf failure: it says what is wrong."""
    if error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if deepest.absolute_path != error.absolute_path:
            return deepest.message
    return error.message


def _translated(data: dict[str, Any]) -> Iterator[JsonPath]:
    """Yield the path of every per-language text object of a flow."""
    for key in data.get("texts", {}):
        yield ("texts", key)
    for sid, state in data.get("states", {}).items():
        yield ("states", sid, "prompt")
        if "hint" in state:
            yield ("states", sid, "hint")
        for index, _ in enumerate(state.get("options", [])):
            yield ("states", sid, "options", index, "label")


def _get(data: Any, path: JsonPath) -> Any:
    for part in path:
        data = data[part]
    return data


def missing_translations(
    data: Any,
    paths: Iterator[JsonPath],
    languages: tuple[str, ...],
    file: str,
    lines: dict[JsonPath, int],
) -> list[Problem]:
    """Return a problem for every text object lacking one of ``languages``."""
    problems = []
    for path in paths:
        texts = _get(data, path)
        for lang in languages:
            if lang not in texts:
                problems.append(
                    Problem(
                        file,
                        line_of(lines, path),
                        f"{format_path(path)}: missing translation {lang!r}",
                        "translation",
                    )
                )
    return problems


def _words(raw: dict[str, list[str]] | None) -> dict[str, tuple[str, ...]]:
    return {lang: tuple(words) for lang, words in (raw or {}).items()}


def _option(raw: dict[str, Any]) -> Option:
    numbers = raw.get("numbers")
    return Option(
        value=raw["value"],
        label=dict(raw["label"]),
        synonyms=_words(raw.get("synonyms")),
        numbers=(numbers[0], numbers[1]) if numbers else None,
    )


def _actions(raw: list[Any] | None) -> tuple[ActionDef, ...]:
    out = []
    for item in raw or []:
        if isinstance(item, str):
            out.append(ActionDef(item))
        else:
            ((name, arg),) = item.items()
            out.append(ActionDef(name, arg))
    return tuple(out)


def _state(sid: str, raw: dict[str, Any], lines: dict[JsonPath, int]) -> StateDef:
    base: JsonPath = ("states", sid)
    transitions = []
    if "next" in raw:
        transitions.append(Transition(goto=raw["next"], line=line_of(lines, (*base, "next"))))
    for index, item in enumerate(raw.get("transitions", [])):
        when = item.get("when")
        guard = None
        if when is not None:
            guard = Guard(
                answer=when.get("answer"),
                field=when.get("field"),
                equals=when.get("equals"),
                one_of=tuple(when.get("one_of", ())),
            )
        transitions.append(
            Transition(
                goto=item["goto"],
                when=guard,
                actions=_actions(item.get("actions")),
                line=line_of(lines, (*base, "transitions", index)),
            )
        )
    return StateDef(
        id=sid,
        prompt=dict(raw["prompt"]),
        type=raw.get("type"),
        options=tuple(_option(o) for o in raw.get("options", [])),
        required=raw.get("required", False),
        skippable=raw.get("skippable", False),
        unsure=raw.get("unsure", False),
        places=raw.get("places"),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        max_length=raw.get("max_length", 300),
        units=_words(raw.get("units")),
        hint=raw.get("hint"),
        actions=_actions(raw.get("actions")),
        transitions=tuple(transitions),
        line=line_of(lines, base),
    )


def load_places(path: str | Path) -> tuple[Place, ...]:
    """Load and validate a places file."""
    data, lines = read_yaml(path)
    problems = validate(data, "places", str(path), lines)
    if problems:
        raise FlowError(problems)
    return tuple(
        Place(
            code=p["code"],
            name=p["name"],
            group=group,
            synonyms=tuple(p.get("synonyms", ())),
            labels=dict(p.get("labels", {})),
        )
        for group, items in data["groups"].items()
        for p in items
    )


def load_lexicon(path: str | Path, languages: tuple[str, ...] = ()) -> Lexicon:
    """Load and validate a lexicon file; its labels must exist in ``languages``."""
    data, lines = read_yaml(path)
    problems = validate(data, "lexicon", str(path), lines)
    if not problems and languages:
        paths = iter([("yesno", key, "label") for key in ("yes", "no", "unsure")])
        problems = missing_translations(data, paths, languages, str(path), lines)
    if problems:
        raise FlowError(problems)
    yesno = {
        key: Option(value=key, label=dict(raw["label"]), synonyms=_words(raw.get("synonyms")))
        for key, raw in data["yesno"].items()
    }
    numbers = {
        fold(word): value for table in data["numbers"].values() for word, value in table.items()
    }
    skip = frozenset(w.strip() for words in data["skip"].values() for w in words)
    return Lexicon(
        yesno=yesno,
        numbers={k: v for k, v in numbers.items() if k},
        connectors=frozenset(fold(c) or c for c in data.get("connectors", [])),
        skip=skip | frozenset(fold(w) for w in skip if fold(w)),
        keywords={
            name: frozenset(fold(w) or w.strip() for words in table.values() for w in words)
            for name, table in data["keywords"].items()
        },
    )


def _references(
    data: dict[str, Any], file: str, lines: dict[JsonPath, int], groups: set[str]
) -> list[Problem]:
    """Check that every state, language and place group named exists."""
    problems = []
    states = data["states"]
    languages = data["languages"]

    def need(path: JsonPath, name: str, known: Any, what: str) -> None:
        if name not in known:
            problems.append(
                Problem(
                    file,
                    line_of(lines, path),
                    f"{format_path(path)}: unknown {what} {name!r}",
                    "reference",
                )
            )

    need(("start",), data["start"], states, "state")
    if "language_state" in data:
        need(("language_state",), data["language_state"], states, "state")
    need(("default_language",), data["default_language"], languages, "language")
    for lang in data.get("unvalidated_languages", []):
        need(("unvalidated_languages",), lang, languages, "language")
    for sid, state in states.items():
        if "next" in state:
            need(("states", sid, "next"), state["next"], states, "state")
        for index, item in enumerate(state.get("transitions", [])):
            need(("states", sid, "transitions", index, "goto"), item["goto"], states, "state")
        if "places" in state:
            need(("states", sid, "places"), state["places"], groups, "place group")
        if state.get("type") is None and ("next" in state or "transitions" in state):
            problems.append(
                Problem(
                    file,
                    line_of(lines, ("states", sid)),
                    f"states.{sid}: a final state (no type) cannot move on",
                    "reference",
                )
            )
    return problems


def load_flow(path: str | Path) -> Flow:
    """Load, validate and build the flow in ``path``; raise :class:`FlowError` if invalid."""
    path = Path(path)
    file = str(path)
    data, lines = read_yaml(path)
    problems = validate(data, "flow", file, lines)
    if problems:
        raise FlowError(problems)
    languages = tuple(data["languages"])
    problems += missing_translations(data, _translated(data), languages, file, lines)
    places = load_places(path.parent / data.get("places", "places.yaml"))
    lexicon = load_lexicon(path.parent / data.get("lexicon", "lexicon.yaml"), languages)
    problems += _references(data, file, lines, {p.group for p in places})
    if problems:
        raise FlowError(problems)
    return Flow(
        name=data["flow"],
        path=file,
        languages=languages,
        unvalidated_languages=tuple(data.get("unvalidated_languages", ())),
        default_language=data["default_language"],
        start=data["start"],
        language_state=data.get("language_state"),
        max_retries=data.get("max_retries", 2),
        texts={key: dict(value) for key, value in data["texts"].items()},
        states={sid: _state(sid, raw, lines) for sid, raw in data["states"].items()},
        places=places,
        lexicon=lexicon,
    )


def load_flows(directory: str | Path = FLOWS_DIR) -> dict[str, Flow]:
    """Load every flow file (a YAML file with a top-level ``flow`` key) in ``directory``."""
    flows = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        data, _ = read_yaml(path)
        if isinstance(data, dict) and "flow" in data:
            flow = load_flow(path)
            flows[flow.name] = flow
    return flows
