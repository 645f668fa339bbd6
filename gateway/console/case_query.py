"""Finding cases for the console: the filters of the list (and export), scoped by role.

A *case* is an alert with its current referral (the newest; none before
routing). Agency users only ever see cases whose current referral is their
agency's; coordinators and admins see every case, including alerts not routed
yet; trainers see training cases only, routed or not, and never a real one
(:func:`gateway.console.permissions.case_filter`). Training data is left out
unless the filter asks for it, or the user may see nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from gateway.console import permissions as perms
from gateway.console.directory_forms import places_in_force
from gateway.db import utcnow
from gateway.models import Alert, Referral
from gateway.referrals.lifecycle import STATUSES
from gateway.vocabulary import CONCERNS, RISKS

PAGE_SIZE = 50
MAX_PAGE = 10_000
UNROUTED = "unrouted"  # the status filter for alerts without a referral yet
# The status filter for open cases nobody holds: refused by everyone planned,
# or opened with nobody to notify (the system status's "cases nobody holds").
UNHELD = "unheld"
WAITING = ("notified", "escalated")
PLACE_KINDS = ("region", "district", "cercle", "commune")


def filter_args(
    filters: Any, changes: Mapping[str, object], defaults: Mapping[str, object] | None = None
) -> dict[str, str]:
    """A list page's filters (a dataclass) as URL arguments, with ``changes``.

    Empty values, and those equal to ``defaults`` (page 1), are left out so
    links stay short; ``True`` is written ``1``. Shared by the cases, message
    and audit lists.
    """
    values = {**{f.name: getattr(filters, f.name) for f in fields(filters)}, **changes}
    skip = defaults or {}
    return {
        k: "1" if v is True else str(v)
        for k, v in values.items()
        if v not in ("", None, False) and not (k in skip and skip[k] == v)
    }


@dataclass(frozen=True)
class CaseFilters:
    """The list's GET filters, validated: anything unknown is dropped, never an error."""

    status: str = ""
    agency: str = ""
    concern: str = ""
    place: str = ""
    risk: str = ""
    overdue: bool = False
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    training: bool = False
    page: int = 1

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The filters as URL query arguments (empty ones left out), with ``changes``."""
        return filter_args(self, changes, defaults={"page": 1})

    def active_count(self) -> int:
        """How many filters are on (the page number is not one): shown on the folded form."""
        return len(self.query_args(page=1))

    def summary(self) -> str:
        """The filters in one short line for the audit log (no personal data in them)."""
        args = self.query_args(page=1)
        return " ".join(f"{k}={v}" for k, v in sorted(args.items())) or "no filter"


# Dates a filter may name: far ones (9999-12-31) would overflow the day
# arithmetic and name nothing Relais can hold anyway.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2199, 12, 31)


def form_date(text: str | None) -> dt.date | None:
    """An ISO date typed in a filter form, or None (empty, invalid or out of range)."""
    try:
        day = dt.date.fromisoformat((text or "").strip()) if text else None
    except ValueError:
        return None
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def _page(text: str | None) -> int:
    try:
        return min(max(int(text or "1"), 1), MAX_PAGE)
    except ValueError:
        return 1


def parse_filters(args: Mapping[str, str]) -> CaseFilters:
    """Read :class:`CaseFilters` from request arguments."""
    status = args.get("status", "")
    place = args.get("place", "")
    return CaseFilters(
        status=status if status in (*STATUSES, UNROUTED, UNHELD) else "",
        agency=args.get("agency", "").strip().lower()[:64],
        concern=args.get("concern", "") if args.get("concern") in CONCERNS else "",
        place=place if place in places_in_force() else "",
        risk=args.get("risk", "") if args.get("risk") in RISKS else "",
        overdue=args.get("overdue") == "1",
        date_from=form_date(args.get("date_from")),
        date_to=form_date(args.get("date_to")),
        training=args.get("training") == "1",
        page=_page(args.get("page")),
    )


def start_of(day: dt.date) -> dt.datetime:
    """Midnight UTC at the start of ``day`` (period filters are whole days)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def within(
    column: Any, date_from: dt.date | None, date_to: dt.date | None
) -> list[ColumnElement[bool]]:
    """Conditions keeping ``column`` within the days ``date_from``…``date_to`` (either optional)."""
    where: list[ColumnElement[bool]] = []
    if date_from:
        where.append(column >= start_of(date_from))
    if date_to:
        where.append(column < start_of(date_to + dt.timedelta(days=1)))
    return where


def _conditions(user: Any, filters: CaseFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        perms.case_filter(user, Referral.agency_id, Alert.is_training)
    ]
    if not filters.training and not perms.training_only(user):
        where.append(Alert.is_training.is_(False))
    if filters.status == UNROUTED:
        where.append(Referral.id.is_(None))
    elif filters.status == UNHELD:
        where.append(and_(Referral.status.in_(("rejected", "new")), Alert.status != "closed"))
    elif filters.status:
        where.append(Referral.status == filters.status)
    if filters.agency:
        where.append(Referral.agency_id == filters.agency)
    if filters.concern:
        where.append(Alert.concern == filters.concern)
    if filters.risk:
        where.append(Alert.risk == filters.risk)
    if filters.place:
        places = places_in_force()
        inside = [code for code in places.codes() if places.contains(filters.place, code)]
        where.append(Alert.place.in_(inside))
    if filters.overdue:
        where.append(and_(Referral.status.in_(WAITING), Referral.answer_by < utcnow()))
    where.extend(within(Alert.created_at, filters.date_from, filters.date_to))
    return where


def cases_query(user: Any, filters: CaseFilters) -> Select[tuple[Alert, Referral]]:
    """Alerts and current referrals ``user`` may see and ``filters`` keep, newest first."""
    newest = (
        select(Referral.alert_id, func.max(Referral.id).label("referral_id"))
        .group_by(Referral.alert_id)
        .subquery()
    )
    query: Select[tuple[Alert, Referral]] = (
        select(Alert, Referral)
        .outerjoin(newest, newest.c.alert_id == Alert.id)
        .outerjoin(Referral, Referral.id == newest.c.referral_id)
        .where(*_conditions(user, filters))
        .order_by(Alert.created_at.desc(), Alert.id.desc())
    )
    return query


def page_of_cases(
    session: Session, user: Any, filters: CaseFilters
) -> tuple[list[tuple[Alert, Referral | None]], bool]:
    """One page of cases and whether there is a next one."""
    query = cases_query(user, filters).offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    rows: list[tuple[Alert, Referral | None]] = list(session.execute(query).tuples())
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def visible_case(
    session: Session, user: Any, reference: str
) -> tuple[Alert, Referral | None] | None:
    """The case ``reference`` with its current referral, if ``user`` may see it (else None).

    None as well for an unknown reference: the caller answers 404 either way,
    so a reference of another agency cannot be told from one that does not exist.
    """
    alert = session.scalars(select(Alert).where(Alert.reference == reference.upper())).first()
    if alert is None:
        return None
    current = session.scalars(
        select(Referral).where(Referral.alert_id == alert.id).order_by(Referral.id.desc()).limit(1)
    ).first()
    agency = current.agency_id if current is not None else None
    if not perms.can_see_case(user, agency, alert.is_training):
        return None
    return alert, current


def overdue(referral: Referral | None, now: dt.datetime | None = None) -> bool:
    """True when ``referral`` waits for an answer past its deadline.

    The deadline is that of the person texted last (``answer_by``), escalation
    or not: a referral waiting on the end of its chain is overdue too.
    """
    if referral is None or referral.status not in WAITING or referral.answer_by is None:
        return False
    return referral.answer_by < (now or utcnow())


def place_choices(lang: str) -> list[tuple[str, str]]:
    """Places to filter by (regions down to communes), as (code, indented name)."""
    places = places_in_force()
    choices = []
    for code in places.codes():
        place = places.get(code)
        if place is not None and place.kind in PLACE_KINDS:
            indent = "\u00a0\u00a0" * max(places.depth(code) - 1, 0)
            choices.append((code, indent + places.name(code, lang)))
    return choices
