"""System status: is work flowing or stuck? Read from the database and Redis.

One :class:`Snapshot` answers the questions behind a 2 a.m. alert — are
messages leaving, are alerts routed, are escalations running, do workers
live — with counts by status, queue and age only, never personal data. It is
served to Prometheus by :mod:`gateway.metrics` and to operators by the
console's *Messages → System status* page. A part that does not answer is
reported down and its figures left out (``None``), never shown as zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rq import Worker
from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session, aliased

from gateway import queues
from gateway.db import Database, utcnow
from gateway.logs import get_logger
from gateway.models import Alert, Contact, FocalPointRecord, Message, Referral
from gateway.models.message import PENDING, Direction, Status
from gateway.referrals.lifecycle import NEW, REJECTED
from gateway.status_advice import PROBLEMS

log = get_logger(__name__)

# Messages still on their way, and those that gave up.
WATCHED = (
    Status.RECEIVED,
    Status.HANDLING,
    Status.QUEUED,
    Status.RETRYING,
    Status.SENDING,
    Status.FAILED,
    Status.UNDELIVERED,
)
WEBHOOK_STATES = ("pending", "failed")
UNROUTED_AFTER = dt.timedelta(minutes=1)
OVERDUE_AFTER = dt.timedelta(minutes=5)


@dataclass
class DatabaseFigures:
    """What the database says (see the module doc)."""

    messages: dict[tuple[str, str], int]  # (direction, status) → count, every WATCHED status
    oldest_pending_send_seconds: float  # 0 when nothing waits
    # Since its creation, the oldest outbound message not sent yet, leaving out
    # those waiting for a handset to come back (30003/30008): a provider down
    # for hours leaves every row "retrying" with a future attempt, which the
    # figure above rightly ignores, so this one is the alarm.
    oldest_unsent_seconds: float
    alerts_unrouted: int  # older than UNROUTED_AFTER
    referrals_waiting: int
    referrals_overdue: int  # escalation more than OVERDUE_AFTER late
    # Real referrals waiting past the deadline of the last person of their
    # chain: nobody is left to escalate to, staff must assign or transfer them.
    referrals_unanswered: int
    cases_unheld: int  # open real cases whose newest referral nobody holds
    # Active focal points whose number cannot receive (opted out, blocked,
    # invalid): routing and escalation skip them.
    focal_points_unreachable: int
    webhooks: dict[str, int]  # pending / failed agency-webhook deliveries
    # Real outbound messages that failed for good within FAILED_RECENTLY, the
    # window `relais messages failed` lists: the problem clears on its own
    # once nothing new fails, which an all-time count never did.
    messages_failed_recently: int = 0


@dataclass
class RedisFigures:
    """What Redis says: RQ's queues, failed-job registries and live workers."""

    queue_jobs: dict[str, int]
    failed_jobs: dict[str, int]
    workers: int


@dataclass
class Snapshot:
    """Both parts; either is None when it did not answer."""

    at: dt.datetime
    database: DatabaseFigures | None = None
    redis: RedisFigures | None = None
    problems: list[str] = field(default_factory=list)  # keys of :data:`PROBLEMS`


SENDS_STUCK_AFTER = 300  # seconds the oldest pending send may wait
SENDS_FAILING_AFTER = 1800  # seconds a message may go unsent, retries included
# Undelivered because the handset is off or unknown: a retry later is normal.
HANDSET_CODES = ("30003", "30008")
FAILED_RECENTLY = dt.timedelta(hours=72)


def database_figures(session: Session, now: dt.datetime) -> DatabaseFigures:
    """Read :class:`DatabaseFigures` (a handful of indexed aggregate queries)."""
    from gateway.referrals.service import WAITING

    found = {
        (str(d), str(s)): int(n)
        for d, s, n in session.execute(
            select(Message.direction, Message.status, func.count())
            .where(Message.status.in_([s.value for s in WATCHED]))
            .group_by(Message.direction, Message.status)
        )
    }
    messages = {
        (str(d), str(s)): found.get((str(d), str(s)), 0)
        for d in (Direction.IN, Direction.OUT)
        for s in WATCHED
    }
    # A retry waits for its next attempt by design (backoff, a handset off):
    # a send is late from the moment it is due, not from its creation. Unsent
    # counts from creation, but not sends waiting for a handset that is off.
    # Both in one pass over the pending sends (two filtered aggregates).
    retrying = Message.status == Status.RETRYING
    due = ~(retrying & (Message.next_attempt_at > now))
    reachable = func.coalesce(Message.error_code, "").not_in(HANDSET_CODES)
    oldest, unsent = session.execute(
        select(
            func.min(
                case((due, case((retrying, Message.next_attempt_at), else_=Message.created_at)))
            ),
            func.min(case((reachable, Message.created_at))),
        ).where(
            Message.direction == Direction.OUT,
            Message.status.in_([s.value for s in PENDING]),
        )
    ).one()
    hooks = {
        str(status): int(n)
        for status, n in session.execute(
            select(Referral.webhook_status, func.count())
            .where(Referral.webhook_status.in_(WEBHOOK_STATES))
            .group_by(Referral.webhook_status)
        )
    }
    waiting = Referral.status.in_(WAITING)
    return DatabaseFigures(
        messages=messages,
        oldest_pending_send_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        oldest_unsent_seconds=max(0.0, (now - unsent).total_seconds()) if unsent else 0.0,
        alerts_unrouted=session.scalar(
            select(func.count()).where(Alert.unrouted_before(now - UNROUTED_AFTER))
        )
        or 0,
        referrals_waiting=session.scalar(select(func.count()).where(waiting)) or 0,
        referrals_overdue=session.scalar(
            select(func.count()).where(waiting, Referral.due_at < now - OVERDUE_AFTER)
        )
        or 0,
        referrals_unanswered=session.scalar(
            select(func.count()).where(
                waiting,
                Referral.due_at.is_(None),
                Referral.answer_by < now,
                Referral.is_training.is_(False),
            )
        )
        or 0,
        cases_unheld=session.scalar(select(func.count()).select_from(unheld_cases())) or 0,
        focal_points_unreachable=session.scalar(
            select(func.count())
            .select_from(FocalPointRecord)
            .join(Contact, Contact.id == FocalPointRecord.contact_id)
            .where(
                FocalPointRecord.active.is_(True),
                FocalPointRecord.removed.is_(False),
                Contact.opted_out | Contact.blocked | Contact.invalid_number,
            )
        )
        or 0,
        webhooks={state: hooks.get(state, 0) for state in WEBHOOK_STATES},
        messages_failed_recently=session.scalar(
            select(func.count()).where(
                Message.direction == Direction.OUT,
                Message.status == Status.FAILED,
                Message.is_training.is_(False),
                Message.updated_at >= now - FAILED_RECENTLY,
            )
        )
        or 0,
    )


def unheld_cases() -> Any:
    """Open real cases whose newest referral nobody holds: ``rejected`` (nobody was
    left to take it) or ``new`` (nobody of the agency was active to notify).

    A refusal passed on leaves a notified referral or a newer one at the
    fallback agency; a referral is ``new`` only inside its opening transaction
    unless nobody could be texted.
    """
    newer = aliased(Referral)
    return (
        select(Referral.id)
        .join(Alert, Alert.id == Referral.alert_id)
        .where(
            Referral.status.in_((REJECTED, NEW)),
            Alert.status != "closed",
            Alert.is_training.is_(False),
            ~exists().where(newer.alert_id == Referral.alert_id, newer.id > Referral.id),
        )
        .subquery()
    )


def redis_figures(connection: Any) -> RedisFigures:
    """Read :class:`RedisFigures`."""
    jobs, failed = {}, {}
    for name in queues.QUEUE_NAMES:
        queue = queues.queue(name, connection)
        jobs[name] = queue.count
        failed[name] = len(queues.still_failed(queue.failed_job_registry))
    return RedisFigures(jobs, failed, Worker.count(connection=connection))


def problems(snapshot: Snapshot) -> list[str]:
    """The :data:`PROBLEMS` the snapshot shows, most urgent first."""
    db, rd = snapshot.database, snapshot.redis
    found = {
        "database_down": db is None,
        "redis_down": rd is None,
        "no_worker": rd is not None and rd.workers == 0,
        "referrals_overdue": db is not None and db.referrals_overdue > 0,
        "referrals_unanswered": db is not None and db.referrals_unanswered > 0,
        "cases_unheld": db is not None and db.cases_unheld > 0,
        "focal_points_unreachable": db is not None and db.focal_points_unreachable > 0,
        "alerts_unrouted": db is not None and db.alerts_unrouted > 0,
        "sends_stuck": db is not None and db.oldest_pending_send_seconds > SENDS_STUCK_AFTER,
        "sends_failing": db is not None and db.oldest_unsent_seconds > SENDS_FAILING_AFTER,
        "failed_jobs": rd is not None and sum(rd.failed_jobs.values()) > 0,
        "messages_failed": db is not None and db.messages_failed_recently > 0,
        "webhooks_failed": db is not None and db.webhooks["failed"] > 0,
    }
    return [name for name in PROBLEMS if found[name]]


def take(db: Database, redis: Any, now: dt.datetime | None = None) -> Snapshot:
    """Read both parts now; a part that fails is logged (by type) and left out."""
    snapshot = Snapshot(at=now or utcnow())
    try:
        with db.session() as session:
            snapshot.database = database_figures(session, snapshot.at)
    except Exception as exc:  # a status page must answer, saying what is down
        log.warning("status_failed", component="database", error=type(exc).__name__)
    try:
        snapshot.redis = redis_figures(redis)
    except Exception as exc:
        log.warning("status_failed", component="redis", error=type(exc).__name__)
    snapshot.problems = problems(snapshot)
    return snapshot
