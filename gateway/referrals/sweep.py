"""The referral part of the sweeper: timers, routing and webhooks that Redis lost.

Due escalations, due reminders, unrouted alerts and pending agency-webhook
deliveries are all known to the database; when their job is missing from
Redis, they are enqueued now.
"""

from __future__ import annotations

import datetime as dt

from redis import Redis
from sqlalchemy import select

from gateway.db import Database
from gateway.models import Alert, Referral
from gateway.referrals import service, webhook


def sweep_referrals(
    db: Database, redis: Redis, *, now: dt.datetime, grace: dt.timedelta
) -> dict[str, int]:
    """Enqueue routing, escalations, reminders and webhooks that are due and have no job."""
    from gateway.sweeper import job_is_live

    counts = {"routes": 0, "escalations": 0, "reminders": 0, "webhooks": 0}
    with db.session() as session:
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
