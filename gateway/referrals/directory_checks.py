"""The checks of a directory file that its JSON Schema cannot express.

:func:`semantic_problems` runs on schema-valid data (see
:mod:`gateway.referrals.directory`, which loads the file and builds the
directory): unique agency, focal-point and rule ids; known place codes;
valid and (strict) unshared phone numbers; backups and supervisors within
their agency; rules naming a known agency; usable time windows, durations and
time zone; a fallback agency with someone active. Kept apart from reading
and building the directory: this is the one place that says what a valid
directory is beyond its shape. ``strict`` adds the checks introduced after
directories were first stored; a version in force is read back without them.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.phones import InvalidNumber, normalize
from gateway.referrals.directory_model import (
    DEFAULT_TZ,
    MAX_DURATION,
    is_example_url,
    parse_duration,
)
from gateway.referrals.places import PlaceTree, Problem
from gateway.yamlsafe import JsonPath, line_of


def semantic_problems(
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

    def unique(path: JsonPath, seen: set[str], value: str, message: str) -> None:
        if value in seen:
            add(path, message.format(value))
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
        unique(("agencies", a, "id"), agency_ids, agency["id"], "duplicate agency id {!r}")
        durations(("agencies", a, "escalation"), agency.get("escalation", {}))
        own = {fp["id"] for fp in agency["focal_points"]}
        active[agency["id"]] = any(fp.get("active", True) for fp in agency["focal_points"])
        for f, fp in enumerate(agency["focal_points"]):
            at: JsonPath = ("agencies", a, "focal_points", f)
            unique((*at, "id"), fp_ids, fp["id"], "duplicate focal point id {!r}")
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
        hook = agency.get("webhook")
        if strict and hook and not data.get("demo") and is_example_url(hook["url"]):
            # Never called (an example address): a real directory would drop
            # every delivery to this agency without anyone noticing.
            add(
                (*("agencies", a), "webhook", "url"),
                f"webhook of {agency['id']} is an example address: give the agency's real URL"
                " or remove the webhook",
            )
        if "supervisor" in agency and agency["supervisor"] not in own:
            add(
                (*("agencies", a), "supervisor"),
                f"supervisor {agency['supervisor']!r} is not a focal point of {agency['id']}",
            )
    rule_ids: set[str] = set()
    for r, rule in enumerate(data["rules"]):
        unique(("rules", r, "id"), rule_ids, rule["id"], "duplicate rule id {!r}")
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
