"""Report figures: aggregate SQL over real alerts and referrals (never training data).

Pure query functions taking a session, a :class:`Period` and an agency scope
(``None``: every agency; a set of ids: only alerts referred to one of them,
and only those referrals), so they can be benchmarked alone. Each figure is
one aggregate statement; Python only loops over groups, never over alerts.
Children: ``children_count``, unknown counting as 1; girls: the children of
alerts about girls. Time to accept runs from the referral's first SMS (its
creation; ``notified_at`` moves on escalation) to acceptance; its target is
the directory's escalation delay for the risk level (per agency when it
overrides). Times are UTC, Bamako's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from gateway.db import utcnow
from gateway.models import Alert, Referral, ReferralEvent
from gateway.referrals.directory import DEFAULT_ESCALATION, Directory, parse_duration
from gateway.sqlfuncs import day_of, seconds_between

Scope = frozenset[str] | None
DIMENSIONS = ("concern", "place", "age_band", "sex", "status", "via")
RISKS = ("high", "medium", "low")
MAX_DAYS = 3 * 366
_DIMENSION_COLUMNS = {name: getattr(Alert, name) for name in DIMENSIONS}


@dataclass(frozen=True)
class Period:
    """From ``start`` (included) to ``end`` (excluded), aware UTC datetimes."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def last_days(cls, days: int = 30, now: dt.datetime | None = None) -> Period:
        """The ``days`` calendar days up to and including today."""
        today = (now or utcnow()).astimezone(dt.UTC).date()
        return cls.from_dates(today - dt.timedelta(days=days - 1), today)

    @classmethod
    def from_dates(cls, first: dt.date, last: dt.date) -> Period:
        """Whole days ``first`` to ``last`` (both included); raises ValueError when unusable."""
        if last < first:
            raise ValueError("the period ends before it starts")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValueError("the period is too long")
        start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
        return cls(start, dt.datetime.combine(last, dt.time(), tzinfo=dt.UTC) + dt.timedelta(1))

    @property
    def first_day(self) -> dt.date:
        """The first day of the period."""
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        """The last day of the period (included)."""
        return (self.end - dt.timedelta(days=1)).date()


@dataclass(frozen=True)
class Headline:
    """Alerts and the children they concern."""

    alerts: int
    children: int
    girls: int


@dataclass(frozen=True)
class Count:
    """One group of a breakdown: a value, its alerts and their children."""

    value: str
    alerts: int
    children: int


@dataclass(frozen=True)
class Response:
    """How fast referrals were accepted."""

    notified: int  # referrals whose first SMS went out
    accepted: int
    median_seconds: float | None
    within_target: int  # accepted within the target of the alert's risk level
    escalations: int  # escalation events (backup, then supervisor)

    @property
    def share_within_target(self) -> float | None:
        """``within_target / notified`` (None without any referral)."""
        return self.within_target / self.notified if self.notified else None


@dataclass(frozen=True)
class Bucket:
    """Alerts in one day, week or month of the trend."""

    start: dt.date
    alerts: int


@dataclass(frozen=True)
class Report:
    """Everything the report page and the CSV export show."""

    period: Period
    scope: Scope
    headline: Headline
    breakdowns: dict[str, list[Count]]
    response: Response
    unit: str  # day, week or month
    trend: list[Bucket] = field(default_factory=list)


_CHILDREN = func.coalesce(Alert.children_count, 1)


def alert_filter(period: Period, scope: Scope) -> list[ColumnElement[bool]]:
    """Real alerts of ``period`` that ``scope`` may count."""
    clauses: list[ColumnElement[bool]] = [
        Alert.is_training.is_(False),
        Alert.created_at >= period.start,
        Alert.created_at < period.end,
    ]
    if scope is not None:  # alerts referred (at any time) to one of these agencies
        referred = Referral.alert_id == Alert.id, Referral.is_training.is_(False)
        clauses.append(exists().where(*referred, Referral.agency_id.in_(sorted(scope))))
    return clauses


def referral_filter(period: Period, scope: Scope) -> list[ColumnElement[bool]]:
    """Real referrals created in ``period`` held by an agency of ``scope``."""
    clauses: list[ColumnElement[bool]] = [
        Referral.is_training.is_(False),
        Referral.created_at >= period.start,
        Referral.created_at < period.end,
    ]
    if scope is not None:
        clauses.append(Referral.agency_id.in_(sorted(scope)))
    return clauses


def headline(session: Session, period: Period, scope: Scope) -> Headline:
    """Alerts, children reported and, of them, girls."""
    girls = func.sum(case((Alert.sex == "girl", _CHILDREN), else_=0))
    row = session.execute(
        select(func.count(), func.sum(_CHILDREN), girls).where(*alert_filter(period, scope))
    ).one()
    return Headline(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


def breakdowns(session: Session, period: Period, scope: Scope) -> dict[str, list[Count]]:
    """Alerts and children by concern, place, age band, sex, status and channel (one statement)."""
    where = alert_filter(period, scope)
    parts: list[Select[Any]] = [
        select(
            literal(name).label("dimension"),
            column.label("value"),
            func.count().label("alerts"),
            func.sum(_CHILDREN).label("children"),
        )
        .where(*where)
        .group_by(column)
        for name, column in _DIMENSION_COLUMNS.items()
    ]
    result: dict[str, list[Count]] = {name: [] for name in DIMENSIONS}
    for dimension, value, alerts, children in session.execute(union_all(*parts)):
        result[str(dimension)].append(Count(str(value), int(alerts), int(children or 0)))
    for counts in result.values():
        counts.sort(key=lambda c: (-c.alerts, c.value))
    return result


def targets(directory: Directory | None) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Seconds to accept by risk level (directory-wide) and by (agency, risk) overrides."""
    if directory is None:
        return {r: parse_duration(DEFAULT_ESCALATION[r]) for r in RISKS}, {}
    default = {r: directory.escalation.delay(r) for r in RISKS}
    overrides = {
        (agency.id, risk): agency.escalation.delay(risk)
        for agency in directory.agencies
        for risk in RISKS
        if agency.escalation.delay(risk) != default[risk]
    }
    return default, overrides


def _target_seconds(directory: Directory | None) -> ColumnElement[int]:
    default, overrides = targets(directory)
    whens: list[tuple[ColumnElement[bool], int]] = [
        (and_(Referral.agency_id == agency, Alert.risk == risk), seconds)
        for (agency, risk), seconds in sorted(overrides.items())
    ]
    whens += [(Alert.risk == risk, default[risk]) for risk in ("high", "low")]
    return case(*whens, else_=default["medium"])  # other risk values are medium


def response(
    session: Session, period: Period, scope: Scope, directory: Directory | None
) -> Response:
    """Referrals notified and accepted, median time to accept, share within target, escalations."""
    where = referral_filter(period, scope)
    took = seconds_between(Referral.accepted_at, Referral.created_at)
    accepted = Referral.accepted_at.is_not(None)
    # A millisecond of slack: julianday arithmetic is not exact to the microsecond.
    within = and_(accepted, took <= _target_seconds(directory) + 0.001)
    row = session.execute(
        select(
            func.count().filter(Referral.notified_at.is_not(None)),
            func.count().filter(accepted),
            func.count().filter(within),
        )
        .select_from(Referral)
        .join(Alert, Alert.id == Referral.alert_id)
        .where(*where)
    ).one()
    escalations = session.scalar(
        select(func.count())
        .select_from(ReferralEvent)
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(ReferralEvent.event == "escalate", *where)
    )
    return Response(
        notified=int(row[0] or 0),
        accepted=int(row[1] or 0),
        median_seconds=_median(session, took, [*where, accepted], int(row[1] or 0)),
        within_target=int(row[2] or 0),
        escalations=int(escalations or 0),
    )


def _median(
    session: Session, value: ColumnElement[float], where: list[ColumnElement[bool]], n: int
) -> float | None:
    """The median of ``value`` over ``n`` rows (percentile_cont on PostgreSQL)."""
    if n == 0:
        return None
    if session.get_bind().dialect.name == "postgresql":
        median = session.scalar(
            select(func.percentile_cont(0.5).within_group(value))
            .select_from(Referral)
            .where(*where)
        )
        return float(median) if median is not None else None
    middle = session.scalars(
        select(value.label("v"))
        .select_from(Referral)
        .where(*where)
        .order_by(value)
        .offset((n - 1) // 2)
        .limit(2 - n % 2)
    ).all()
    return sum(float(v) for v in middle) / len(middle) if middle else None


def unit_for(period: Period) -> str:
    """``day`` up to two months, ``week`` up to two years, then ``month``."""
    days = (period.end - period.start).days
    return "day" if days <= 62 else "week" if days <= 731 else "month"


def bucket_start(day: dt.date, unit: str) -> dt.date:
    """The first day of the ``unit`` (day, ISO week from Monday, month) holding ``day``."""
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def trend(session: Session, period: Period, scope: Scope) -> tuple[str, list[Bucket]]:
    """Alerts per day, week or month over the whole period (empty buckets included)."""
    day = day_of(Alert.created_at)
    rows = session.execute(
        select(day, func.count()).where(*alert_filter(period, scope)).group_by(day)
    ).all()
    unit = unit_for(period)
    counts: dict[dt.date, int] = {}
    for value, alerts in rows:  # one row per day with alerts
        start = bucket_start(dt.date.fromisoformat(str(value)[:10]), unit)
        counts[start] = counts.get(start, 0) + int(alerts)
    buckets, cursor = [], bucket_start(period.first_day, unit)
    while cursor <= period.last_day:
        buckets.append(Bucket(cursor, counts.get(cursor, 0)))
        cursor = _next(cursor, unit)
    return unit, buckets


def _next(start: dt.date, unit: str) -> dt.date:
    if unit == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=7 if unit == "week" else 1)


def build(session: Session, period: Period, scope: Scope, directory: Directory | None) -> Report:
    """Every figure of the report for ``period`` and ``scope``."""
    unit, buckets = trend(session, period, scope)
    return Report(
        period=period,
        scope=scope,
        headline=headline(session, period, scope),
        breakdowns=breakdowns(session, period, scope),
        response=response(session, period, scope, directory),
        unit=unit,
        trend=buckets,
    )
