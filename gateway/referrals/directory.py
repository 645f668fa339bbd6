"""The referral directory: agencies, focal points, routing rules (see docs/directory.md).

:func:`load_directory` reads a YAML file with the strict loader of
:mod:`gateway.referrals.places` (``no`` stays a string, ``19:00`` stays a
time), validates it against ``directory_schema.json`` and then checks what a
schema cannot (place codes, ids, phone numbers, references, time windows).
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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema

from gateway.phones import InvalidNumber, normalize
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
            message += " (quote the number: YAML read it as an integer)"
        problems.append(Problem(file, line_of(lines, path), f"{where}: {message}"))
    return problems


def _check(
    data: dict[str, Any],
    file: str,
    lines: dict[JsonPath, int],
    places: PlaceTree,
    strict: bool = True,
) -> list[Problem]:
    """Return the problems a schema cannot see (data is schema-valid).

    ``strict`` adds the checks introduced after directories were first
    stored (durations over 90 days, one number for two people): a file being
    loaded or edited must pass them, but a version already in force is read
    back without them, so an upgrade never stops routing.
    """
    out: list[Problem] = []

    def add(path: JsonPath, message: str) -> None:
        out.append(Problem(file, line_of(lines, path), message))

    def unique(path: JsonPath, seen: set[str], value: str, what: str) -> None:
        if value in seen:
            add(path, f"duplicate {what} id {value!r}")
        seen.add(value)

    def known_places(path: JsonPath, codes: list[str]) -> None:
        for i, code in enumerate(codes):
            if code not in places:
                add((*path, i), f"unknown place code {code!r}")

    def durations(path: JsonPath, escalation: dict[str, str]) -> None:
        for key, text in escalation.items():
            try:
                seconds = parse_duration(text)
            except ValueError as exc:
                add((*path, key), str(exc))
            else:
                if strict and seconds > MAX_DURATION:
                    add((*path, key), f"duration {text!r} is more than 90d")

    durations(("escalation",), data.get("escalation", {}))
    try:
        ZoneInfo(data.get("tz", DEFAULT_TZ))
    except (ZoneInfoNotFoundError, ValueError):
        add(("tz",), f"unknown time zone {data['tz']!r}")
    agency_ids: set[str] = set()
    fp_ids: set[str] = set()
    # One number, one focal point: an SMS command from a shared number could
    # act only for one of them (and count as guessing for the other).
    numbers: dict[str, str] = {}
    active: dict[str, bool] = {}
    for a, agency in enumerate(data["agencies"]):
        unique(("agencies", a, "id"), agency_ids, agency["id"], "agency")
        durations(("agencies", a, "escalation"), agency.get("escalation", {}))
        own = {fp["id"] for fp in agency["focal_points"]}
        active[agency["id"]] = any(fp.get("active", True) for fp in agency["focal_points"])
        for f, fp in enumerate(agency["focal_points"]):
            at: JsonPath = ("agencies", a, "focal_points", f)
            unique((*at, "id"), fp_ids, fp["id"], "focal point")
            try:
                number = normalize(fp["phone"])
            except InvalidNumber as exc:
                add((*at, "phone"), f"invalid phone number for {fp['id']}: {exc}")
            else:
                if strict and number in numbers:
                    add((*at, "phone"), f"{fp['id']} has the phone number of {numbers[number]}")
                numbers.setdefault(number, fp["id"])
            known_places((*at, "areas"), fp.get("areas", []))
            if fp.get("backup") == fp["id"]:
                add((*at, "backup"), f"focal point {fp['id']!r} cannot be its own backup")
            elif "backup" in fp and fp["backup"] not in own:
                add(
                    (*at, "backup"),
                    f"backup {fp['backup']!r} is not a focal point of {agency['id']}",
                )
        if "supervisor" in agency and agency["supervisor"] not in own:
            add(
                (*("agencies", a), "supervisor"),
                f"supervisor {agency['supervisor']!r} is not a focal point of {agency['id']}",
            )
    rule_ids: set[str] = set()
    for r, rule in enumerate(data["rules"]):
        unique(("rules", r, "id"), rule_ids, rule["id"], "rule")
        if rule["agency"] not in agency_ids:
            add(("rules", r, "agency"), f"rule {rule['id']!r}: unknown agency {rule['agency']!r}")
        known_places(("rules", r, "places"), rule.get("places", []))
        for w, window in enumerate(rule.get("time", [])):
            start, end = window["from"], window["to"]
            if start == end or start == "24:00":
                add(
                    ("rules", r, "time", w),
                    f"bad time window {start}-{end}: need from < 24:00, from != to",
                )
    fallback = data["fallback_agency"]
    if fallback not in agency_ids:
        add(("fallback_agency",), f"unknown fallback agency {fallback!r}")
    elif not active[fallback]:
        add(("fallback_agency",), f"fallback agency {fallback!r} has no active focal point")
    return out


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

    ``strict=False`` reads back a version already in force (see :func:`_check`).
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
        problems = _check(data, file, lines, tree, strict)
    if problems:
        raise DirectoryError(problems)
    return _build(data)
