"""Report figures: aggregate SQL over real alerts (never training data), and the report.

Pure query functions taking a session, a :class:`~gateway.reports_scope.Period`
and an agency :data:`~gateway.reports_scope.Scope` (what is counted:
:mod:`gateway.reports_scope`), so they can be benchmarked alone. Each figure
is one aggregate statement; Python only loops over groups, never over alerts.
Children: ``children_count``, unknown counting as 1; girls: the children of
alerts about girls. :func:`build` gathers these with the response times of
:mod:`gateway.reports_response_time` into one :class:`Report`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from gateway.models import Alert
from gateway.referrals.directory import Directory
from gateway.reports_response_time import Response, response
from gateway.reports_scope import Period, Scope, alert_filter
from gateway.sqlfuncs import day_of

DIMENSIONS = ("concern", "place", "age_band", "sex", "status", "via")
_DIMENSION_COLUMNS = {name: getattr(Alert, name) for name in DIMENSIONS}


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
