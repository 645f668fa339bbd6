"""The referral directory: agencies, focal points, routing rules (see docs/directory.md).

:func:`load_directory` reads a YAML file with the strict loader of
:mod:`gateway.referrals.places` (``no`` stays a string, ``19:00`` stays a
time), validates it against ``directory_schema.json`` and then checks what a
schema cannot (place codes, ids, phone numbers, references, time windows:
:mod:`gateway.referrals.directory_checks`).
Every problem names the file and the line; schema problems are reported first
and on their own, since the other checks need a well-formed file. The result
is a tree of frozen dataclasses (:mod:`gateway.referrals.directory_model`)
with a canonical :meth:`Directory.to_dict` and a :meth:`Directory.digest`
for change detection.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from gateway.phones import normalize
from gateway.referrals.directory_checks import semantic_problems
from gateway.referrals.directory_model import (
    DAYS,
    DEFAULT_ESCALATION,
    DEFAULT_TZ,
    MAX_DURATION,
    Agency,
    Directory,
    Escalation,
    FocalPoint,
    Rule,
    TimeWindow,
    Webhook,
    format_duration,
    parse_duration,
)
from gateway.referrals.places import FileProblems, PlaceTree, Problem, load_places, read_yaml
from gateway.vocabulary import AGE_BANDS, CONCERNS, LANGUAGES, RISKS, SEXES
from gateway.yamlsafe import JsonPath, YamlError, line_of, parse

# The data classes live in directory_model; importing them from here still works.
__all__ = [
    "DAYS",
    "DEFAULT_ESCALATION",
    "DEFAULT_TZ",
    "Agency",
    "Directory",
    "DirectoryError",
    "Escalation",
    "FocalPoint",
    "Rule",
    "TimeWindow",
    "Webhook",
    "format_duration",
    "load_directory",
    "load_directory_text",
    "parse_duration",
    "schema",
]

SCHEMA_PATH = Path(__file__).with_name("directory_schema.json")


class DirectoryError(FileProblems):
    """The directory file cannot be loaded; ``problems`` holds ``(file, line, message)``."""


@cache
def schema() -> dict[str, Any]:
    """Return the directory JSON Schema."""
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def _schema_problems(data: Any, file: str, lines: dict[JsonPath, int]) -> list[Problem]:
    problems = []
    for error in jsonschema.Draft202012Validator(schema()).iter_errors(data):
        path: JsonPath = tuple(error.absolute_path)
        where = ".".join(str(p) for p in path) or "(top)"
        message = error.message
        if path and path[-1] == "phone" and isinstance(error.instance, int):
            message = f"{message} (quote the number: YAML read it as an integer)"
        problems.append(Problem(file, line_of(lines, path), f"{where}: {message}"))
    return problems


def _escalation(raw: dict[str, str], base: dict[str, str]) -> Escalation:
    merged = {**base, **raw}
    # Clamped: a version stored before the 90-day check may hold more.
    seconds = {key: min(parse_duration(value), MAX_DURATION) for key, value in merged.items()}
    return Escalation(**seconds)


def _natural(code: str) -> list[tuple[int, str]]:
    return [(int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"(\d+)", code)]


def _places(codes: list[str]) -> tuple[str, ...]:
    """Sort place codes naturally: ML-5 before ML-10."""
    return tuple(sorted(codes, key=_natural))


def _ordered(values: list[str], order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(values, key=order.index))


def _build(data: dict[str, Any]) -> Directory:
    """Turn schema-valid, checked data into a :class:`Directory`."""
    defaults = {**DEFAULT_ESCALATION, **data.get("escalation", {})}
    agencies = []
    for agency in data["agencies"]:
        hook = agency.get("webhook")
        focal_points = tuple(
            FocalPoint(
                id=fp["id"],
                name=fp["name"],
                phone=normalize(fp["phone"]),
                languages=_ordered(fp["languages"], LANGUAGES),
                areas=_places(fp.get("areas", [])),
                active=fp.get("active", True),
                backup=fp.get("backup"),
            )
            for fp in agency["focal_points"]
        )
        agencies.append(
            Agency(
                id=agency["id"],
                name=agency["name"],
                focal_points=focal_points,
                escalation=_escalation(agency.get("escalation", {}), defaults),
                supervisor=agency.get("supervisor"),
                webhook=Webhook(hook["url"], hook["secret_env"]) if hook else None,
            )
        )
    rules = tuple(
        Rule(
            id=rule["id"],
            agency=rule["agency"],
            description=rule.get("description", ""),
            concerns=_ordered(rule.get("concerns", []), CONCERNS),
            places=_places(rule.get("places", [])),
            risk=_ordered(rule.get("risk", []), RISKS),
            sex=_ordered(rule.get("sex", []), SEXES),
            age_bands=_ordered(rule.get("age_bands", []), AGE_BANDS),
            time=tuple(
                TimeWindow(_ordered(w.get("days", list(DAYS)), DAYS), w["from"], w["to"])
                for w in rule.get("time", [])
            ),
        )
        for rule in data["rules"]
    )
    return Directory(
        agencies=tuple(sorted(agencies, key=lambda a: a.id)),
        rules=rules,
        fallback_agency=data["fallback_agency"],
        escalation=_escalation({}, defaults),
        tz=data.get("tz", DEFAULT_TZ),
        demo=data.get("demo", False),
        version=data["version"],
    )


def load_directory(path: str | Path, places: PlaceTree | None = None) -> Directory:
    """Load, validate and check the directory file at ``path``.

    ``places`` defaults to :func:`~gateway.referrals.places.load_places`.
    Raises :class:`DirectoryError` listing every problem as ``file:line: message``.
    """
    try:
        data, lines = read_yaml(path)
    except FileProblems as exc:
        raise DirectoryError(exc.problems) from exc
    return _validated(data, lines, str(path), places)


def load_directory_text(
    text: str, name: str, places: PlaceTree | None = None, *, strict: bool = True
) -> Directory:
    """Like :func:`load_directory`, for a directory file's text (as stored).

    ``strict=False`` reads back a version already in force (see
    :func:`~gateway.referrals.directory_checks.semantic_problems`).
    """
    try:
        data, lines = parse(text, name)
    except YamlError as exc:
        raise DirectoryError([Problem(name, line, msg) for line, msg in exc.problems]) from exc
    return _validated(data, lines, name, places, strict)


def _validated(
    data: Any,
    lines: dict[JsonPath, int],
    file: str,
    places: PlaceTree | None,
    strict: bool = True,
) -> Directory:
    problems = _schema_problems(data, file, lines)
    if not problems:
        tree = places if places is not None else load_places()
        problems = semantic_problems(data, file, lines, tree, strict)
    if problems:
        raise DirectoryError(problems)
    return _build(data)
