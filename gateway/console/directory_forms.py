"""Helpers of the console's Directory pages: words for the vocabulary, the place
tree, rule conditions in words, the "test routing" form and quick edits.

Quick edits (a focal point's ``active`` flag or phone number) change the YAML
document of the directory in force — read with the strict reader
(:mod:`gateway.yamlsafe`), changed, dumped with ``yaml.safe_dump`` — so that
saving goes through :func:`gateway.referrals.store.load_text` like any file:
same validation, versioning, ``focal_points`` sync and change lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from flask import g, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway import runtime
from gateway.console.phrases import translate
from gateway.console.phrases_directory import PROBLEMS
from gateway.referrals import store
from gateway.referrals.directory import (
    DAYS,
    Agency,
    Directory,
    FocalPoint,
    Rule,
    load_directory_text,
)
from gateway.referrals.places import PlaceTree, Problem
from gateway.vocabulary import AGE_BANDS, CONCERNS, LANGUAGES, RISKS, SEXES
from gateway.yamlsafe import parse

CONCERN_LABELS: dict[str, Any] = {
    "separated": _l("separated or unaccompanied"),
    "displaced": _l("displaced"),
    "abuse": _l("abuse or violence"),
    "exploitation": _l("exploitation, labour or trafficking"),
    "street": _l("living in the street"),
    "other": _l("other concern"),
}
RISK_LABELS: dict[str, Any] = {"high": _l("high"), "medium": _l("medium"), "low": _l("low")}
SEX_LABELS: dict[str, Any] = {
    "girl": _l("girl"),
    "boy": _l("boy"),
    "both": _l("girls and boys"),
    "unknown": _l("unknown"),
}
AGE_LABELS: dict[str, Any] = {
    **{band: _l("%(band)s years", band=band) for band in AGE_BANDS if band != "unknown"},
    "unknown": _l("unknown"),
}
LANGUAGE_LABELS: dict[str, Any] = {"fr": _l("French"), "bm": _l("Bambara"), "en": _l("English")}
DAY_LABELS: dict[str, Any] = {
    "mon": _l("Mon"),
    "tue": _l("Tue"),
    "wed": _l("Wed"),
    "thu": _l("Thu"),
    "fri": _l("Fri"),
    "sat": _l("Sat"),
    "sun": _l("Sun"),
}
KIND_LABELS: dict[str, Any] = {
    "country": _l("country"),
    "region": _l("region"),
    "district": _l("district"),
    "cercle": _l("cercle"),
    "commune": _l("commune"),
    "neighbourhood": _l("neighbourhood"),
}


def when(value: dt.datetime | None) -> str:
    """A stored time as ``2025-01-14 14:05 UTC``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def words(values: tuple[str, ...] | list[str], labels: Mapping[str, Any]) -> str:
    """``values`` in words, comma-separated (unknown values as they are)."""
    return ", ".join(str(labels.get(value, value)) for value in values)


def places_in_force() -> PlaceTree:
    """The place hierarchy in force (stored version, else shipped file), read once per request."""
    if not has_app_context():
        return store.places()
    if "relais_places" not in g:
        with runtime.current().db.session() as session:
            g.relais_places = store.places(session)
    tree: PlaceTree = g.relais_places
    return tree


def place_label(places: PlaceTree, code: str, lang: str) -> str:
    """``Commune V (ML-BKO-C5)``: a place's name in ``lang`` and its code."""
    return f"{places.name(code, lang)} ({code})"


@dataclass(frozen=True)
class PlaceNode:
    """A place and its children, for the collapsible hierarchy."""

    code: str
    name: str
    kind: Any
    children: list[PlaceNode] = field(default_factory=list)


def place_tree(places: PlaceTree, lang: str) -> list[PlaceNode]:
    """The places as nested nodes (the roots; normally just ``ML``)."""
    nodes: dict[str, PlaceNode] = {}
    roots: list[PlaceNode] = []
    for code in places.codes():  # parents come before children
        place = places.get(code)
        if place is None:  # pragma: no cover - codes() lists known places
            continue
        node = PlaceNode(code, places.name(code, lang), KIND_LABELS.get(place.kind, place.kind))
        nodes[code] = node
        parent = nodes.get(place.parent) if place.parent else None
        (parent.children if parent is not None else roots).append(node)
    return roots


def place_options(places: PlaceTree, lang: str) -> list[tuple[str, str]]:
    """``(code, label)`` for a select, indented by depth with no-break spaces."""
    return [
        (code, "\u00a0\u00a0" * max(places.depth(code), 0) + place_label(places, code, lang))
        for code in places.codes()
    ]


def _days(days: tuple[str, ...]) -> str:
    if days == DAYS:
        return str(_("every day"))
    return words(days, DAY_LABELS)


def rule_conditions(rule: Rule, places: PlaceTree, lang: str) -> list[str]:
    """The conditions of ``rule`` in words, one per condition (all must hold)."""
    out = []
    if rule.concerns:
        out.append(_("Concern: %(values)s", values=words(rule.concerns, CONCERN_LABELS)))
    if rule.places:
        names = ", ".join(place_label(places, code, lang) for code in rule.places)
        out.append(_("Place within: %(values)s", values=names))
    if rule.risk:
        out.append(_("Risk: %(values)s", values=words(rule.risk, RISK_LABELS)))
    if rule.sex:
        out.append(_("Sex: %(values)s", values=words(rule.sex, SEX_LABELS)))
    if rule.age_bands:
        out.append(_("Age band: %(values)s", values=words(rule.age_bands, AGE_LABELS)))
    if rule.time:
        windows = [
            _("%(days)s from %(start)s to %(end)s", days=_days(w.days), start=w.start, end=w.end)
            for w in rule.time
        ]
        out.append(_("Time: %(values)s", values=_(" or ").join(windows)))
    return out or [_("Any alert (no condition)")]


def problem_lines(problems: list[Problem]) -> list[str]:
    """Loader problems as ``line N: message`` (the file name is the form)."""
    return [
        _("line %(line)d: %(message)s", line=p.line, message=translate(p.message, PROBLEMS))
        for p in problems
    ]


def validated(text: str, places: PlaceTree) -> Directory:
    """The directory in ``text`` (from the console form); raises ``DirectoryError``."""
    return load_directory_text(text, "console", places)


def summary(directory: Directory) -> str:
    """One sentence on a valid directory: agencies, focal points, rules."""
    people = [fp for agency in directory.agencies for fp in agency.focal_points]
    return str(
        _(
            "No problem found: %(agencies)d agencies, %(people)d focal points "
            "(%(active)d active), %(rules)d rules.",
            agencies=len(directory.agencies),
            people=len(people),
            active=sum(fp.active for fp in people),
            rules=len(directory.rules),
        )
    )


def find_person(directory: Directory, fp_id: str) -> tuple[Agency, FocalPoint] | None:
    """The agency and focal point ``fp_id`` of ``directory``, if any."""
    for agency in directory.agencies:
        person = agency.focal_point(fp_id)
        if person is not None:
            return agency, person
    return None


ROUTE_FIELDS: dict[str, tuple[str, ...]] = {
    "concern": CONCERNS,
    "risk": RISKS,
    "sex": SEXES,
    "age_band": AGE_BANDS,
    "language": LANGUAGES,
}
ROUTE_LABELS: dict[str, Any] = {
    "concern": _l("Concern"),
    "place": _l("Place"),
    "risk": _l("Risk"),
    "sex": _l("Sex"),
    "age_band": _l("Age band"),
    "language": _l("Language of the alert"),
    "at": _l("Date and time (optional)"),
}
ROUTE_DEFAULTS = {
    "concern": "separated",
    "place": "ML-BKO",
    "risk": "high",
    "sex": "unknown",
    "age_band": "unknown",
    "language": "fr",
    "at": "",
}


@dataclass(frozen=True)
class RouteForm:
    """The "test routing" form: its values, whether it was sent, and problems."""

    values: dict[str, str]
    submitted: bool
    errors: list[str]


def route_form(args: Mapping[str, str], places: PlaceTree) -> RouteForm:
    """Read the "test routing" query string; every value is checked."""
    submitted = "concern" in args
    values = {name: args.get(name, default)[:64] for name, default in ROUTE_DEFAULTS.items()}
    errors = []
    if submitted:
        for name, allowed in ROUTE_FIELDS.items():
            if values[name] not in allowed:
                errors.append(
                    _("Choose a value from the list for “%(field)s”.", field=ROUTE_LABELS[name])
                )
        if values["place"] not in places:
            errors.append(_("Choose a place from the list."))
    return RouteForm(values, submitted, errors)


class PersonNotFound(LookupError):
    """The focal point is not in the directory document."""


def _leading_comments(text: str) -> str:
    """The comment block at the top of ``text`` (kept by quick edits)."""
    kept = []
    for line in text.splitlines():
        if not line.startswith("#") and line.strip():
            break
        kept.append(line)
    return "\n".join(kept).strip() + "\n" if any(kept) else ""


def edited_document(text: str, fp_id: str, key: str, value: object) -> str:
    """The directory document ``text`` with focal point ``fp_id``'s ``key`` set to ``value``.

    Raises :class:`PersonNotFound`, or :class:`gateway.yamlsafe.YamlError`
    for a document that is not YAML.
    """
    data, _lines = parse(text, "directory")
    agencies = data.get("agencies") if isinstance(data, dict) else None
    for agency in agencies if isinstance(agencies, list) else []:
        people = agency.get("focal_points") if isinstance(agency, dict) else None
        for person in people if isinstance(people, list) else []:
            if isinstance(person, dict) and person.get("id") == fp_id:
                person[key] = value
                dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
                return _leading_comments(text) + dumped
    raise PersonNotFound(fp_id)
