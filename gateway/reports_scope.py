"""What a report counts: a :class:`Period`, an agency :data:`Scope`, and the filters.

Every report figure (:mod:`gateway.reports`, :mod:`gateway.reports_response_time`)
counts real alerts or referrals (never training data) of a period and an
agency scope: ``None`` for every agency; a set of agency ids for only the
alerts referred to one of them, and only those referrals. Kept apart so that
both families of figures and the console (which builds the period from its
form) share one definition without importing each other. Times are UTC,
Bamako's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists

from gateway.db import utcnow
from gateway.models import Alert, Referral

Scope = frozenset[str] | None
MAX_DAYS = 3 * 366


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
