"""Messages → System status: is work flowing or stuck? (``messages.view``)

``GET /console/messages/status`` shows a :class:`gateway.status.Snapshot`
— the figures ``/metrics`` gives Prometheus — for the many deployments that
run no monitoring: what is wrong first, each with what to check, then the
counts (messages on their way or given up, referrals waiting and overdue,
alerts not routed, agency webhooks, queues, failed jobs, workers). Counts
only: no number, reference or text.
"""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from gateway import runtime, status
from gateway.console import case_labels
from gateway.console import permissions as perms
from gateway.console.cases import when
from gateway.console.messages import bp

# What each problem means and what to check, in the operator's words.
ADVICE = {
    "database_down": _l(
        "The database does not answer: new reports cannot be stored and providers will retry."
        " Check the database server and DATABASE_URL."
    ),
    "redis_down": _l(
        "Redis does not answer: replies and referrals wait in the database and leave once it is"
        " back. Check the Redis server and REDIS_URL."
    ),
    "no_worker": _l(
        "No worker is running: nothing is sent, routed or escalated. Start the worker process"
        " (relais worker)."
    ),
    "referrals_overdue": _l(
        "Referrals are more than five minutes past their escalation time: escalations are not"
        " running. Check that a worker (with its scheduler) is running."
    ),
    "alerts_unrouted": _l(
        "Alerts are waiting more than a minute for routing. Check the worker and that a directory"
        " is loaded."
    ),
    "sends_stuck": _l(
        "The oldest message waiting to be sent has waited more than five minutes. Check the"
        " worker and the SMS provider (Failed jobs, message log)."
    ),
    "failed_jobs": _l("Background jobs failed after all their retries: see Failed jobs."),
    "messages_failed": _l(
        "Outbound messages failed for good: filter the message log by status \u201cfailed\u201d;"
        " resend them with relais messages retry."
    ),
    "webhooks_failed": _l(
        "Agency-webhook deliveries failed after all their retries: see Failed jobs (webhook-…)."
    ),
}


@bp.get("/messages/status")
@perms.requires(perms.MESSAGES_VIEW)
def system_status() -> ResponseReturnValue:
    """The snapshot: problems with advice, then every figure."""
    rt = runtime.current()
    snapshot = status.take(rt.db, rt.redis)
    return render_template(
        "console/messages/status.html",
        snapshot=snapshot,
        advice=ADVICE,
        watched=[str(s) for s in status.WATCHED],
        stuck_after_minutes=status.SENDS_STUCK_AFTER // 60,
        when=when,
        **case_labels.template_labels(),
    )
