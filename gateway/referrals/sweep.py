"""The referral part of the sweeper: timers, routing and webhooks that Redis lost.

Due escalations, due reminders, unrouted alerts and pending agency-webhook
deliveries are all known to the database; when their job is missing from
Redis, they are enqueued now. Waiting referrals without an answer deadline
get one (see :func:`date_undated`).
"""

from __future__ import annotations

import datetime as dt

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db import Database
from gateway.models import Alert, Referral
from gateway.referrals import service, store, webhook
from gateway.referrals.notify import answer_window


def sweep_referrals(
    db: Database, redis: Redis, *, now: dt.datetime, grace: dt.timedelta
) -> dict[str, int]:
    """Enqueue routing, escalations, reminders and webhooks that are due and have no job."""
    from gateway.sweeper import job_is_live

    counts = {"routes": 0, "escalations": 0, "reminders": 0, "webhooks": 0, "deadlines": 0}
    with db.session() as session:
        counts["deadlines"] = date_undated(session)
        unrouted = session.scalars(select(Alert.id).where(Alert.unrouted_before(now - grace))).all()
        escalations = session.execute(
            select(Referral.id, Referral.level).where(
                Referral.status.in_(service.WAITING), Referral.due_at <= now
            )
        ).all()
        reminders = session.scalars(
            select(Referral.id).where(
                Referral.status == "accepted", Referral.reminder_due_at <= now
            )
        ).all()
        deliveries = session.scalars(
            select(Referral.id).where(
                Referral.webhook_status == "pending", Referral.created_at < now - grace
            )
        ).all()
    for alert_id in unrouted:
        if not job_is_live(redis, f"route-{alert_id}"):
            service.enqueue_route(redis, alert_id)
            counts["routes"] += 1
    for referral_id, level in escalations:
        if not job_is_live(redis, f"escalate-{referral_id}-{level}"):
            service.schedule_escalation(redis, referral_id, level, now)
            counts["escalations"] += 1
    for referral_id in reminders:
        if not job_is_live(redis, f"remind-{referral_id}"):
            service.schedule_reminder(redis, referral_id, now)
            counts["reminders"] += 1
    for referral_id in deliveries:
        if not job_is_live(redis, webhook.job_id(referral_id)):
            webhook.enqueue_delivery(redis, referral_id)
            counts["webhooks"] += 1
    return counts


def date_undated(session: Session) -> int:
    """Give a deadline to waiting referrals that have none; return how many.

    Referrals already waiting on the end of their chain when migration 0007
    added ``answer_by`` got none (the migration cannot read the encrypted
    directory), so they never showed as overdue: exactly the cases nobody
    answered. Their deadline is the time the person was texted plus the
    current directory's delay for the alert's risk. New notifications always
    set it, so after the first sweep this finds nothing (a partial index
    holding only these rows: one look at an empty index every sweep).
    """
    undated = session.scalars(select(Referral).where(Referral.undated())).all()
    directory = store.current(session) if undated else None
    if directory is None:
        return 0
    for referral in undated:
        if referral.notified_at is not None:  # always, by the query; for mypy
            referral.answer_by = referral.notified_at + answer_window(directory, referral)
    return len(undated)
