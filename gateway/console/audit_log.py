"""The console's Audit log page (blueprint ``console_audit``, ``audit.view``: admins).

* ``GET /console/audit``: the audit log, newest first, 50 a page (keyset on
  the id): time, actor (a console user, ``cli`` or ``system``), action,
  target, detail and the first characters of the keyed hash of the client IP.
  Filters: actor, action (a dotted verb or its first part: ``case`` finds
  ``case.view``, ``case.reveal``…), target (a case reference, a username, a
  job id…) and period.

It answers the need-to-know question "who opened this child's case, who saw
the reporter's number, who exported what" without a shell on the server
(``relais audit tail`` is the command-line view). The log holds no personal
data by construction (:mod:`gateway.audit` masks numbers in details); the
details, stored in English, are shown in the reader's language when their
wording is known (:mod:`gateway.console.audit_words`). It is read-only: the log is append-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import ColumnElement, func, or_, select

from gateway import runtime
from gateway.console import permissions as perms
from gateway.console.audit_words import detail_words
from gateway.console.case_query import filter_args, form_date, within
from gateway.console.cases import when
from gateway.console.keyset import form_id, newest_first
from gateway.models import AuditEvent

bp = Blueprint("console_audit", __name__, url_prefix="/console")
PAGE_SIZE = 50
FIELD_MAX = 64  # the longest actor, action or target the log stores


@dataclass(frozen=True)
class AuditFilters:
    """The page's GET filters, cleaned (over-long or control characters dropped)."""

    actor: str = ""
    action: str = ""
    target: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    before: int | None = None

    def query_args(self, **changes: object) -> dict[str, str]:
        """The filters as URL arguments (empty ones left out), with ``changes``."""
        return filter_args(self, changes)


def _text(args: Mapping[str, str], name: str) -> str:
    value = args.get(name, "").strip()
    printable = value.isprintable() and len(value) <= FIELD_MAX
    return value if printable else ""


def parse_filters(args: Mapping[str, str]) -> AuditFilters:
    """Read :class:`AuditFilters` from request arguments."""
    return AuditFilters(
        actor=_text(args, "actor"),
        action=_text(args, "action"),
        target=_text(args, "target"),
        date_from=form_date(args.get("date_from")),
        date_to=form_date(args.get("date_to")),
        before=form_id(args.get("before")),
    )


def conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    """The SQL conditions of ``filters`` (actor and target ignore case, as people type)."""
    where: list[ColumnElement[bool]] = []
    if filters.actor:
        where.append(func.lower(AuditEvent.actor) == filters.actor.lower())
    if filters.action:
        action = filters.action.lower().rstrip(".")
        where.append(or_(AuditEvent.action == action, AuditEvent.action.startswith(action + ".")))
    if filters.target:
        # References are shown K7QX-2P and stored K7QX2P: accept both.
        target = filters.target.upper().replace("-", "").replace(" ", "")
        where.append(
            or_(
                func.lower(AuditEvent.target_id) == filters.target.lower(),
                AuditEvent.target_id == target,
            )
        )
    where.extend(within(AuditEvent.at, filters.date_from, filters.date_to))
    return where


@bp.get("/audit")
@perms.requires(perms.AUDIT_VIEW)
def index() -> ResponseReturnValue:
    """The audit log, newest first, filtered."""
    filters = parse_filters(request.args)
    with runtime.current().db.session() as session:
        query = select(AuditEvent).where(*conditions(filters))
        page, next_before = newest_first(session, query, AuditEvent.id, filters.before, PAGE_SIZE)
        session.expunge_all()
    return render_template(
        "console/audit/index.html",
        rows=page,
        filters=filters,
        next_before=next_before,
        when=when,
        detail_words=detail_words,
    )
