"""``/metrics``: what an operator's Prometheus watches, read at each scrape.

Every figure is a gauge computed from the database and Redis when Prometheus
asks, so it is the same whichever web process answers and needs no
multi-process counters. Each says whether work is flowing or stuck — the
questions behind a 2 a.m. alert — and none holds personal data (counts by
status, queue and age only):

* ``relais_messages{direction,status}``: messages still on their way
  (received, handling, queued, retrying, sending) and those that gave up
  (failed, undelivered);
* ``relais_oldest_pending_send_age_seconds``: how long the oldest outbound
  message has waited for a send (a stuck worker or provider shows here first);
* ``relais_alerts_unrouted``: alerts older than a minute with no referral yet;
* ``relais_referrals_waiting`` and ``relais_referrals_overdue``: referrals
  waiting for a focal point's answer, and those whose escalation is more than
  five minutes late (the escalation machinery itself is stuck);
* ``relais_agency_webhooks{status}``: agency-webhook deliveries pending or failed;
* ``relais_queue_jobs{queue}``, ``relais_failed_jobs{queue}``,
  ``relais_workers``: RQ's queues, failed-job registries and live workers;
* ``relais_database_up``, ``relais_redis_up``: 0 when that part does not
  answer (its other figures are then left out, never reported as zero).

The endpoint is off (404) unless ``METRICS_TOKEN`` is set; Prometheus sends it
as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from rq import Worker
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway import queues, runtime
from gateway.db import utcnow
from gateway.logs import get_logger
from gateway.models import Alert, Message, Referral
from gateway.models.message import PENDING, Direction, Status

bp = Blueprint("metrics", __name__)
log = get_logger(__name__)

WATCHED = (
    Status.RECEIVED,
    Status.HANDLING,
    Status.QUEUED,
    Status.RETRYING,
    Status.SENDING,
    Status.FAILED,
    Status.UNDELIVERED,
)
UNROUTED_AFTER = dt.timedelta(minutes=1)
OVERDUE_AFTER = dt.timedelta(minutes=5)


def _gauge(name: str, doc: str, value: float | None = None, **labels: str) -> GaugeMetricFamily:
    if labels:
        family = GaugeMetricFamily(name, doc, labels=list(labels))
        if value is not None:
            family.add_metric(list(labels.values()), value)
        return family
    return GaugeMetricFamily(name, doc, value=value)


def database_metrics(session: Session, now: dt.datetime) -> list[Metric]:
    """The message, alert, referral and webhook gauges."""
    from gateway.referrals.service import WAITING

    messages = GaugeMetricFamily(
        "relais_messages", "Messages on their way or given up", labels=["direction", "status"]
    )
    counts = {
        (str(d), str(s)): n
        for d, s, n in session.execute(
            select(Message.direction, Message.status, func.count())
            .where(Message.status.in_([s.value for s in WATCHED]))
            .group_by(Message.direction, Message.status)
        )
    }
    for direction in (Direction.IN, Direction.OUT):
        for status in WATCHED:
            messages.add_metric([str(direction), str(status)], counts.get((direction, status), 0))
    oldest = session.scalar(
        select(func.min(Message.created_at)).where(
            Message.direction == Direction.OUT, Message.status.in_([s.value for s in PENDING])
        )
    )
    webhooks = GaugeMetricFamily(
        "relais_agency_webhooks", "Agency-webhook deliveries not done", labels=["status"]
    )
    by_status: dict[str, int] = {
        str(status): n
        for status, n in session.execute(
            select(Referral.webhook_status, func.count())
            .where(Referral.webhook_status.in_(("pending", "failed")))
            .group_by(Referral.webhook_status)
        )
    }
    for delivery in ("pending", "failed"):
        webhooks.add_metric([delivery], by_status.get(delivery, 0))
    waiting = Referral.status.in_(WAITING)
    return [
        messages,
        _gauge(
            "relais_oldest_pending_send_age_seconds",
            "Age of the oldest outbound message waiting to be sent (0: none)",
            (now - oldest).total_seconds() if oldest is not None else 0.0,
        ),
        _gauge(
            "relais_alerts_unrouted",
            "Alerts older than a minute not routed to any agency",
            session.scalar(
                select(func.count()).where(
                    Alert.routed_at.is_(None),
                    Alert.erased_at.is_(None),
                    Alert.created_at < now - UNROUTED_AFTER,
                )
            )
            or 0,
        ),
        _gauge(
            "relais_referrals_waiting",
            "Referrals waiting for a focal point to accept",
            session.scalar(select(func.count()).where(waiting)) or 0,
        ),
        _gauge(
            "relais_referrals_overdue",
            "Waiting referrals whose escalation is more than five minutes late",
            session.scalar(
                select(func.count()).where(waiting, Referral.due_at < now - OVERDUE_AFTER)
            )
            or 0,
        ),
        webhooks,
    ]


def redis_metrics(connection: Any) -> list[Metric]:
    """The RQ queue, failed-job and worker gauges."""
    jobs = GaugeMetricFamily("relais_queue_jobs", "Jobs waiting in each queue", labels=["queue"])
    failed = GaugeMetricFamily(
        "relais_failed_jobs", "Jobs that exhausted their retries", labels=["queue"]
    )
    for name in queues.QUEUE_NAMES:
        queue = queues.queue(name, connection)
        jobs.add_metric([name], queue.count)
        failed.add_metric([name], FailedJobRegistry(queue=queue).count)
    workers = _gauge("relais_workers", "RQ workers alive", Worker.count(connection=connection))
    return [jobs, failed, workers]


class RelaisCollector:
    """A prometheus_client collector reading the database and Redis at each scrape."""

    def collect(self) -> Iterator[Metric]:
        """Yield every gauge; a part that does not answer is reported down, not zero."""
        rt = runtime.current()
        try:
            with rt.db.session() as session:
                found = database_metrics(session, utcnow())
        except Exception as exc:  # the scrape must still answer, saying what is down
            log.warning("metrics_failed", component="database", error=type(exc).__name__)
            found = []
        yield _gauge("relais_database_up", "The database answers", 1.0 if found else 0.0)
        yield from found
        try:
            found = redis_metrics(rt.redis)
        except Exception as exc:
            log.warning("metrics_failed", component="redis", error=type(exc).__name__)
            found = []
        yield _gauge("relais_redis_up", "Redis answers", 1.0 if found else 0.0)
        yield from found


def _authorised() -> bool:
    token = runtime.current().settings.METRICS_TOKEN
    if not token:
        abort(404)  # off unless configured
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@bp.get("/metrics")
def metrics() -> Response:
    """The gauges in Prometheus's text format (Bearer METRICS_TOKEN)."""
    if not _authorised():
        return Response(
            "Unauthorized\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="relais-metrics"'},
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RelaisCollector())
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
