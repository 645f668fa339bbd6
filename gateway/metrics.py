"""``/metrics``: what an operator's Prometheus watches, read at each scrape.

Every figure is a gauge of a :class:`gateway.status.Snapshot` taken when
Prometheus asks, so it is the same whichever web process answers and needs
no multi-process counters. Each says whether work is flowing or stuck — the
questions behind a 2 a.m. alert — and none holds personal data (counts by
status, queue and age only):

* ``relais_messages{direction,status}``: messages still on their way
  (received, handling, queued, retrying, sending) and those that gave up
  (failed, undelivered);
* ``relais_oldest_pending_send_age_seconds``: how long the oldest outbound
  message has waited for a send (a stuck worker or provider shows here first);
* ``relais_oldest_unsent_age_seconds``: how long ago the oldest outbound
  message not sent yet was created, retries included (a provider down for
  hours shows here: its messages wait for their next attempt, which the
  gauge above leaves out); handsets off (30003/30008) are not counted;
* ``relais_alerts_unrouted``: alerts older than a minute with no referral yet;
* ``relais_referrals_waiting`` and ``relais_referrals_overdue``: referrals
  waiting for a focal point's answer, and those whose escalation is more than
  five minutes late (the escalation machinery itself is stuck);
* ``relais_referrals_unanswered``: real referrals past the deadline of the last
  person of their chain (nobody left to escalate to: staff must act);
* ``relais_cases_unheld``: open cases nobody holds — refused by every focal
  point planned and by the fallback agency, or opened when nobody of the
  agency was active — until staff assign or transfer them;
* ``relais_focal_points_unreachable``: active focal points whose number
  cannot receive (opted out, blocked, invalid): referrals skip them;
* ``relais_agency_webhooks{status}``: agency-webhook deliveries pending or failed;
* ``relais_queue_jobs{queue}``, ``relais_failed_jobs{queue}``,
  ``relais_workers``: RQ's queues, failed-job registries and live workers;
* ``relais_database_up``, ``relais_redis_up``: 0 when that part does not
  answer (its other figures are then left out, never reported as zero).

The endpoint is off (404) unless ``METRICS_TOKEN`` is set; Prometheus sends it
as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from gateway import runtime, status
from gateway.status import Snapshot

bp = Blueprint("metrics", __name__)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _labelled(name: str, doc: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


def gauges(snapshot: Snapshot) -> Iterator[Metric]:
    """The snapshot as Prometheus gauges (a part that is down: only its ``_up`` gauge)."""
    db, rd = snapshot.database, snapshot.redis
    yield _gauge("relais_database_up", "The database answers", 1.0 if db else 0.0)
    if db is not None:
        messages = GaugeMetricFamily(
            "relais_messages", "Messages on their way or given up", labels=["direction", "status"]
        )
        for (direction, state), count in db.messages.items():
            messages.add_metric([direction, state], count)
        yield messages
        yield _gauge(
            "relais_oldest_pending_send_age_seconds",
            "Age of the oldest outbound message waiting to be sent (0: none)",
            db.oldest_pending_send_seconds,
        )
        yield _gauge(
            "relais_oldest_unsent_age_seconds",
            "Age since creation of the oldest outbound message not sent yet, retries included",
            db.oldest_unsent_seconds,
        )
        yield _gauge(
            "relais_alerts_unrouted",
            "Alerts older than a minute not routed to any agency",
            db.alerts_unrouted,
        )
        yield _gauge(
            "relais_referrals_waiting",
            "Referrals waiting for a focal point to accept",
            db.referrals_waiting,
        )
        yield _gauge(
            "relais_referrals_overdue",
            "Waiting referrals whose escalation is more than five minutes late",
            db.referrals_overdue,
        )
        yield _gauge(
            "relais_referrals_unanswered",
            "Real referrals past the deadline of the last person of their chain",
            db.referrals_unanswered,
        )
        yield _gauge(
            "relais_cases_unheld",
            "Open cases nobody holds (refused by everyone planned, or nobody active to notify)",
            db.cases_unheld,
        )
        yield _gauge(
            "relais_focal_points_unreachable",
            "Active focal points whose number cannot receive SMS (referrals skip them)",
            db.focal_points_unreachable,
        )
        yield _labelled(
            "relais_agency_webhooks", "Agency-webhook deliveries not done", "status", db.webhooks
        )
    yield _gauge("relais_redis_up", "Redis answers", 1.0 if rd else 0.0)
    if rd is not None:
        yield _labelled("relais_queue_jobs", "Jobs waiting in each queue", "queue", rd.queue_jobs)
        yield _labelled(
            "relais_failed_jobs", "Jobs that exhausted their retries", "queue", rd.failed_jobs
        )
        yield _gauge("relais_workers", "RQ workers alive", rd.workers)


class RelaisCollector:
    """A prometheus_client collector taking a :class:`Snapshot` at each scrape."""

    def collect(self) -> Iterator[Metric]:
        """Yield every gauge of a fresh snapshot."""
        rt = runtime.current()
        yield from gauges(status.take(rt.db, rt.redis))


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
