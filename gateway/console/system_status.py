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

from gateway import runtime, status
from gateway.console import case_labels
from gateway.console import permissions as perms
from gateway.console.cases import when
from gateway.console.messages import bp
from gateway.status_advice import ADVICE


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
        when=when,
        **case_labels.template_labels(),
    )
