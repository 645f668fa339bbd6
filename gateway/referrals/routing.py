"""Routing: which agency and which people receive an alert, and why (pure code).

:func:`route` walks the rules of a :class:`~gateway.referrals.directory.Directory`
in order; the first rule whose every condition matches wins, and the decision
keeps, for every rule before it, each condition that failed. No rule → the
fallback agency. Within the agency, the first person is the best active focal
point (the supervisor excepted): speaks the alert's language and covers the
place, else speaks the language, else covers the place, else any; ties go to
the most specific area, then to file order. Then come that person's backup
(if active) and the agency supervisor (if active), each after the agency's
escalation delay for the risk level. An agency with no active focal point but
an active supervisor notifies the supervisor first; with nobody active at all,
the alert goes to the fallback agency and the decision says why.
:func:`explain` renders a decision for a person (phones masked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.phones import mask
from gateway.referrals.directory import (
    DAYS,
    Agency,
    Directory,
    FocalPoint,
    Rule,
    TimeWindow,
    format_duration,
)
from gateway.referrals.places import PlaceTree
from gateway.vocabulary import AGE_BANDS, CONCERNS, LANGUAGES, RISKS, SEXES


@dataclass(frozen=True)
class AlertFacts:
    """What routing needs to know about an alert (never names or numbers)."""

    concern: str
    place: str
    risk: str
    sex: str = "unknown"
    age_band: str = "unknown"
    language: str = "fr"

    def __post_init__(self) -> None:
        """Reject values outside the vocabularies (the place may be any code)."""
        for field, value, allowed in (
            ("concern", self.concern, CONCERNS),
            ("risk", self.risk, RISKS),
            ("sex", self.sex, SEXES),
            ("age_band", self.age_band, AGE_BANDS),
            ("language", self.language, LANGUAGES),
        ):
            if value not in allowed:
                raise ValueError(f"{field} {value!r} is not one of {', '.join(allowed)}")


@dataclass(frozen=True)
class RuleCheck:
    """A rule that did not match, with every failed condition."""

    rule_id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Recipient:
    """One person to notify: ``role`` is focal point, backup or supervisor."""

    role: str
    agency_id: str
    focal_point_id: str
    name: str
    phone: str
    after_seconds: int


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`route`; ``at`` is in the directory's time zone."""

    alert: AlertFacts
    at: datetime
    rule_id: str | None
    agency_id: str
    agency_name: str
    reason: str
    not_matched: tuple[RuleCheck, ...]
    recipients: tuple[Recipient, ...]
    selection: str
    escalation_delay: int
    reminder_after: int
    notes: tuple[str, ...] = ()


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def in_window(window: TimeWindow, local: datetime) -> bool:
    """Return whether local time ``local`` falls in ``window``.

    ``days`` are the days the window opens: ``mon 19:00-07:00`` covers Monday
    19:00 to Tuesday 06:59. ``from`` is included, ``to`` is not.
    """
    now = local.hour * 60 + local.minute
    start, end = _minutes(window.start), _minutes(window.end)
    today, yesterday = DAYS[local.weekday()], DAYS[(local.weekday() - 1) % 7]
    if start < end:
        return today in window.days and start <= now < end
    return (today in window.days and now >= start) or (yesterday in window.days and now < end)


def format_days(days: tuple[str, ...]) -> str:
    """Render days compactly: ``mon-sun``, ``mon-fri``, ``sat,sun,wed``."""
    indexes = [DAYS.index(day) for day in days]
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{days[0]}-{days[-1]}"
    return ",".join(days)


def format_window(window: TimeWindow) -> str:
    """Render a window as ``mon-sun 19:00-07:00``."""
    return f"{format_days(window.days)} {window.start}-{window.end}"


def why_not(rule: Rule, places: PlaceTree, alert: AlertFacts, local: datetime) -> list[str]:
    """Return every condition of ``rule`` that ``alert`` at ``local`` fails ([] = match)."""
    out = []
    for message, value, allowed in (
        ("concern {} is not in [{}]", alert.concern, rule.concerns),
        ("risk {} is not in [{}]", alert.risk, rule.risk),
        ("sex {} is not in [{}]", alert.sex, rule.sex),
        ("age band {} is not in [{}]", alert.age_band, rule.age_bands),
    ):
        if allowed and value not in allowed:
            out.append(message.format(value, ", ".join(allowed)))
    if rule.places and not any(places.contains(code, alert.place) for code in rule.places):
        within = ", ".join(rule.places)
        if alert.place in places:
            out.append(f"place {alert.place} is not within [{within}]")
        else:
            out.append(f"place {alert.place} (unknown place) is not within [{within}]")
    if rule.time and not any(in_window(window, local) for window in rule.time):
        windows = " or ".join(format_window(window) for window in rule.time)
        out.append(f"time {local:%H:%M} {DAYS[local.weekday()].title()} is outside {windows}")
    return out


def _area(fp: FocalPoint, places: PlaceTree, place: str) -> tuple[bool, int, str]:
    """Return (covers, specificity, description) of ``fp``'s areas for ``place``."""
    if not fp.areas:
        return True, 0, "works in every area"
    inside = [code for code in fp.areas if places.contains(code, place)]
    if not inside:
        return False, -1, f"areas [{', '.join(fp.areas)}] do not contain {place}"
    best = max(inside, key=places.depth)
    return True, places.depth(best) + 1, f"area {best} contains {place}"


def people_for(
    agency: Agency, places: PlaceTree, alert: AlertFacts, delay: int
) -> tuple[list[Recipient], str, list[str]]:
    """Return the escalation chain of ``agency``, why its first person, and notes."""
    notes: list[str] = []
    supervisor = agency.focal_point(agency.supervisor)
    candidates = [fp for fp in agency.focal_points if fp.active and fp.id != agency.supervisor]
    chain: list[tuple[FocalPoint, str]] = []
    if candidates:

        def rank(item: tuple[int, FocalPoint]) -> tuple[bool, bool, bool, int, int]:
            index, fp = item
            speaks = alert.language in fp.languages
            covers, depth, _ = _area(fp, places, alert.place)
            return (speaks and covers, speaks, covers, depth, -index)

        first = max(enumerate(candidates), key=rank)[1]
        said = "{} speaks {}, {} ({} active focal points considered)"
        if alert.language not in first.languages:
            said = "{} does not speak {}, {} ({} active focal points considered)"
        area = _area(first, places, alert.place)[2]
        selection = said.format(first.id, alert.language, area, len(candidates))
        chain.append((first, "focal point"))
        backup = agency.focal_point(first.backup)
        if backup is not None and not backup.active:
            notes.append(f"backup {backup.id} of {first.id} is not active: skipped")
        elif backup is not None and backup is not supervisor:
            chain.append((backup, "backup"))
    elif supervisor is not None and supervisor.active:
        selection = f"agency {agency.id} has no active focal point: supervisor notified first"
    else:
        return [], f"agency {agency.id} has no active focal point", notes
    if supervisor is not None and supervisor.active:
        chain.append((supervisor, "supervisor"))
    elif supervisor is not None:
        notes.append(f"supervisor {supervisor.id} is not active: skipped")
    people = [
        Recipient(role, agency.id, fp.id, fp.name, fp.phone, step * delay)
        for step, (fp, role) in enumerate(chain)
    ]
    return people, selection, notes


def route(directory: Directory, places: PlaceTree, alert: AlertFacts, at: datetime) -> Decision:
    """Decide who receives ``alert`` raised at ``at`` (timezone-aware). Pure."""
    if at.tzinfo is None:
        raise ValueError("route() needs a timezone-aware datetime")
    local = at.astimezone(ZoneInfo(directory.tz))
    checks: list[RuleCheck] = []
    matched: Rule | None = None
    for rule in directory.rules:
        reasons = why_not(rule, places, alert, local)
        if not reasons:
            matched = rule
            break
        checks.append(RuleCheck(rule.id, tuple(reasons)))
    fallback = directory.fallback_agency
    agency_id = matched.agency if matched else fallback
    reason = f"rule {matched.id} matched" if matched else "no rule matched: fallback agency"
    agency = directory.agency(agency_id)
    people: list[Recipient] = []
    notes: list[str] = []
    selection = f"agency {agency_id} is not in the directory"
    if agency is not None:
        delay = agency.escalation.delay(alert.risk)
        people, selection, notes = people_for(agency, places, alert, delay)
    if not people and agency_id != fallback:
        reason = f"{reason}, but {selection}: fallback agency {fallback}"
        agency_id, agency = fallback, directory.agency(fallback)
        if agency is not None:
            delay = agency.escalation.delay(alert.risk)
            people, selection, more = people_for(agency, places, alert, delay)
            notes += more
    if not people:
        notes.append("nobody can be notified: an operator must handle this alert")
    escalation = directory.escalation_for(agency_id)
    return Decision(
        alert=alert,
        at=local,
        rule_id=matched.id if matched else None,
        agency_id=agency_id,
        agency_name=agency.name if agency is not None else agency_id,
        reason=reason,
        not_matched=tuple(checks),
        recipients=tuple(people),
        selection=selection,
        escalation_delay=escalation.delay(alert.risk),
        reminder_after=escalation.reminder_after,
        notes=tuple(notes),
    )


def explain(decision: Decision, places: PlaceTree, lang: str = "en") -> str:
    """Render ``decision`` as the CLI prints it; place names in ``lang``, phones masked."""
    alert = decision.alert
    lines = [
        f"Alert: concern {alert.concern}, place {alert.place} ({places.name(alert.place, lang)}),"
        f" risk {alert.risk}, sex {alert.sex}, age band {alert.age_band},"
        f" language {alert.language}",
        f"At: {decision.at:%a %Y-%m-%d %H:%M} ({decision.at.tzinfo})",
        "Rules, in order:",
    ]
    for check in decision.not_matched:
        lines.append(f"  - rule {check.rule_id}: {'; '.join(check.reasons)}")
    lines.append(f"  - rule {decision.rule_id}: matched" if decision.rule_id else "  (no match)")
    lines.append(f"Agency: {decision.agency_id} ({decision.agency_name}): {decision.reason}")
    lines.append(f"Chosen: {decision.selection}")
    delay = format_duration(decision.escalation_delay)
    lines.append(
        f"Notify, in order (risk {alert.risk}: next one after {delay} without acceptance):"
    )
    people = decision.recipients
    width_id = max((len(p.focal_point_id) for p in people), default=0)
    width_name = max((len(p.name) for p in people), default=0)
    for person in people:
        when = "now" if not person.after_seconds else "+" + format_duration(person.after_seconds)
        lines.append(
            f"  {when:>5}  {person.role:<11}  {person.focal_point_id:<{width_id}}"
            f"  {person.name:<{width_name}}  {mask(person.phone)}"
        )
    if not decision.recipients:
        lines.append("  nobody")
    lines.append(
        f"Reminder if accepted and not closed after {format_duration(decision.reminder_after)}"
    )
    lines += [f"Note: {note}" for note in decision.notes]
    return "\n".join(lines)
