"""The console's Messages pages (blueprint ``console_messages``, ``messages.view``).

* ``GET /console/messages``: every SMS and USSD message in and out, newest
  first, 50 a page (keyset on the id): direction, channel, provider, status,
  error code, attempts, encoding and segments, cost, times, the masked number
  and the reference of the case it belongs to
  (:func:`gateway.console.case_timeline.link_messages`). Never a body: texts
  are shown on the case page only. Filters: status, channel, direction,
  period, training data.
* ``GET /console/messages/failed-jobs``: the jobs of every queue that
  exhausted their retries (id, queue, function, when, exception *type*), and
  ``POST /console/messages/failed-jobs/retry`` (one job, or ``all``), audited
  as ``jobs.retry``. Both share their code with ``relais jobs failed|retry``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from gateway import audit, runtime
from gateway.channels.registry import SLUGS
from gateway.commands.referrals import FailedJob, failed_jobs, retry_failed
from gateway.console import auth, case_labels
from gateway.console import permissions as perms
from gateway.console.case_query import filter_args, form_date, within
from gateway.console.case_timeline import link_messages
from gateway.console.cases import when
from gateway.console.keyset import form_id, newest_first
from gateway.models import Message
from gateway.models.message import Direction, Status
from gateway.phones import mask

bp = Blueprint("console_messages", __name__, url_prefix="/console")
PAGE_SIZE = 50
STATUSES = tuple(s.value for s in Status)
DIRECTIONS = tuple(d.value for d in Direction)


@dataclass(frozen=True)
class MessageFilters:
    """The log's GET filters, validated (unknown values are dropped)."""

    status: str = ""
    channel: str = ""
    direction: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    training: bool = False
    before: int | None = None

    def query_args(self, **changes: object) -> dict[str, str]:
        """The filters as URL arguments (empty ones left out), with ``changes``."""
        return filter_args(self, changes)


def parse_filters(args: Mapping[str, str]) -> MessageFilters:
    """Read :class:`MessageFilters` from request arguments."""
    return MessageFilters(
        status=args.get("status", "") if args.get("status") in STATUSES else "",
        channel=args.get("channel", "") if args.get("channel") in SLUGS else "",
        direction=args.get("direction", "") if args.get("direction") in DIRECTIONS else "",
        date_from=form_date(args.get("date_from")),
        date_to=form_date(args.get("date_to")),
        training=args.get("training") == "1",
        before=form_id(args.get("before")),
    )


def _conditions(filters: MessageFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not filters.training:
        where.append(Message.is_training.is_(False))
    if filters.status:
        where.append(Message.status == filters.status)
    if filters.channel:
        where.append(Message.channel == filters.channel)
    if filters.direction:
        where.append(Message.direction == filters.direction)
    where.extend(within(Message.created_at, filters.date_from, filters.date_to))
    return where


@bp.get("/messages")
@perms.requires(perms.MESSAGES_VIEW)
def index() -> ResponseReturnValue:
    """The message log (no bodies, numbers masked)."""
    filters = parse_filters(request.args)
    with runtime.current().db.session() as session:
        query = select(Message).options(selectinload(Message.contact)).where(*_conditions(filters))
        page, next_before = newest_first(session, query, Message.id, filters.before, PAGE_SIZE)
        links = link_messages(session, page)
        numbers = {m.id: mask(m.contact.phone or "") for m in page}
        return render_template(
            "console/messages/index.html",
            rows=page,
            links=links,
            numbers=numbers,
            filters=filters,
            next_before=next_before,
            statuses=STATUSES,
            channels=SLUGS,
            when=when,
            **case_labels.template_labels(),
        )


@bp.get("/messages/failed-jobs")
@perms.requires(perms.MESSAGES_VIEW)
def failed() -> ResponseReturnValue:
    """Jobs that exhausted their retries, with a retry button each."""
    jobs: list[FailedJob] = []
    unavailable = False
    try:
        jobs = failed_jobs()
    except RedisError:
        unavailable = True
    return render_template(
        "console/messages/failed_jobs.html", jobs=jobs, unavailable=unavailable, when=when
    )


@bp.post("/messages/failed-jobs/retry")
@perms.requires(perms.MESSAGES_VIEW)
def retry() -> ResponseReturnValue:
    """Requeue one failed job (``job_id``) or every one (``all``); audited."""
    everything = request.form.get("all") == "1"
    job_id = None if everything else request.form.get("job_id", "").strip()[:128]
    back = redirect(url_for("console_messages.failed"))
    if not everything and not job_id:
        flash(_("Choose a job to retry."), "error")
        return back
    try:
        requeued, skipped = retry_failed(job_id)
    except RedisError:
        flash(_("The job queue (Redis) does not answer: try again later."), "error")
        return back
    with runtime.current().db.session() as session:
        audit.record(
            session,
            auth.current().username,
            "jobs.retry",
            "job",
            "all" if everything else str(job_id),
            f"requeued {requeued}, skipped {skipped}",
        )
    if requeued:
        flash(_("%(count)d job(s) requeued.", count=requeued), "success")
    else:
        flash(_("No failed job was requeued."), "error")
    return back
