"""The sweeper: recover work that Redis lost.

Redis may keep nothing on disk; a restart, a ``FLUSHDB`` or a crash loses
queued and scheduled jobs. The database is the source of truth, so the
sweeper looks for rows that should have a job and do not:

* outbound messages ``queued`` for longer than the grace period;
* outbound messages ``retrying`` whose next attempt is due;
* outbound messages stuck in ``sending`` (the worker died mid-send) — they
  are queued again and flagged ``possible_duplicate``: the provider may have
  accepted the first try before the crash;
* inbound SMS stored but not processed (``received``: processing failed or
  the process died before it; ``handling`` for too long: it died during it);
* inbound USSD requests never answered (the same two states): marked
  ``failed``, not stepped again — a USSD screen is answered in its HTTP
  response or never, and a row left waiting would escape retention;
* alerts not yet routed, referral escalations and reminders that are due,
  and agency-webhook deliveries still pending
  (:mod:`gateway.referrals.sweep`);

and enqueues them again. Send jobs are idempotent, so a job that was only
slow, not lost, does no harm when enqueued twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import or_, select
from sqlalchemy.orm import defer

from gateway.db import Database, utcnow
from gateway.logs import get_logger
from gateway.models import Message
from gateway.models.message import Direction, Status

log = get_logger(__name__)
LIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}
# A send (or inbound processing) claimed this long ago without a result is
# presumed dead; it must exceed the job timeout (60 s).
STUCK_AFTER = dt.timedelta(minutes=3)


@dataclass
class SweepReport:
    """What one sweep found and did."""

    requeued: list[int] = field(default_factory=list)
    inbound: list[int] = field(default_factory=list)
    referrals: dict[str, int] = field(default_factory=dict)
    recovered_stuck: list[int] = field(default_factory=list)
    skipped_live: int = 0


def send_job_id(message_id: int) -> str:
    """The RQ job id of a message's send job (one id per message)."""
    return f"send-{message_id}"


def job_is_live(redis: Redis, job_id: str) -> bool:
    """True when Redis still holds a job that will run."""
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in LIVE


def sweep(
    db: Database,
    redis: Redis,
    *,
    grace: dt.timedelta,
    now: dt.datetime | None = None,
    stuck_after: dt.timedelta = STUCK_AFTER,
) -> SweepReport:
    """Re-enqueue every outbound message whose job is missing; see module doc."""
    from gateway.jobs import EXHAUSTED, enqueue_process, enqueue_send, max_send_attempts

    now = now or utcnow()
    report = SweepReport()
    # The sweeper never reads a body: one undecryptable row (a data key
    # removed too early) must not stop it from recovering all the others.
    messages = select(Message).options(defer(Message.body))
    with db.session() as session:
        stuck = session.scalars(
            messages.where(
                Message.direction == Direction.OUT,
                Message.status == Status.SENDING,
                Message.claimed_at < now - stuck_after,
            )
        ).all()
        for message in stuck:
            message.possible_duplicate = True
            if message.attempts >= max_send_attempts():
                # Its every attempt died mid-send: stop instead of sending again
                # for ever (`relais messages retry` can still resend it).
                message.record(Status.FAILED, error_code="stuck", detail=EXHAUSTED)
                continue
            message.record(Status.QUEUED, detail="requeued after a worker died mid-send")
            report.recovered_stuck.append(message.id)
        session.flush()
        candidates = session.scalars(
            messages.where(
                Message.direction == Direction.OUT,
                or_(
                    (Message.status == Status.QUEUED) & (Message.updated_at < now - grace),
                    (Message.status == Status.QUEUED) & Message.id.in_(report.recovered_stuck),
                    (Message.status == Status.RETRYING) & (Message.next_attempt_at <= now),
                ),
            )
        ).all()
        pending = [(m.id, m.queue) for m in candidates]
        for message in session.scalars(
            messages.where(
                Message.direction == Direction.IN,
                Message.kind == "ussd",
                or_(
                    (Message.status == Status.HANDLING) & (Message.claimed_at < now - stuck_after),
                    (Message.status == Status.RECEIVED) & (Message.updated_at < now - grace),
                ),
            )
        ):
            # A USSD request is answered in its HTTP response or never: its
            # session is gone, so it is not retried (and retention may erase it).
            message.record(Status.FAILED, detail="USSD request never answered")
        for message in session.scalars(
            messages.where(
                Message.direction == Direction.IN,
                Message.kind == "sms",
                Message.status == Status.HANDLING,
                Message.claimed_at < now - stuck_after,
            )
        ):
            message.record(Status.RECEIVED, detail="processing interrupted; will retry")
        session.flush()
        unprocessed = session.scalars(
            select(Message.id).where(
                Message.direction == Direction.IN,
                Message.kind == "sms",
                Message.status == Status.RECEIVED,
                Message.updated_at < now - grace,
            )
        ).all()
    for message_id in unprocessed:
        if not job_is_live(redis, f"inbound-{message_id}"):
            enqueue_process(redis, message_id)
            report.inbound.append(message_id)
    for message_id, queue_name in pending:
        if message_id not in report.recovered_stuck and job_is_live(redis, send_job_id(message_id)):
            report.skipped_live += 1
            continue
        enqueue_send(redis, message_id, queue_name)
        report.requeued.append(message_id)
    from gateway.referrals.sweep import sweep_referrals

    report.referrals = sweep_referrals(db, redis, now=now, grace=grace)
    if (
        report.requeued
        or report.recovered_stuck
        or report.inbound
        or any(report.referrals.values())
    ):
        log.info(
            "sweep",
            requeued=len(report.requeued),
            inbound=len(report.inbound),
            **report.referrals,
            recovered_stuck=len(report.recovered_stuck),
            skipped_live=report.skipped_live,
        )
    return report
