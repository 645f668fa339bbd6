"""Messages → System status: is work flowing or stuck? (``messages.view``)

``GET /console/messages/status`` shows a :class:`gateway.status.Snapshot`
— the figures ``/metrics`` gives Prometheus — for the many deployments that
run no monitoring: what is wrong first, each with what to check, then the
counts (messages on their way or given up, referrals waiting and overdue,
alerts not routed, agency webhooks, queues, failed jobs, workers). Counts
only: no number, reference or text.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from gateway import runtime, status
from gateway.console import case_labels
from gateway.console import permissions as perms
from gateway.console.cases import when
from gateway.console.messages import bp
from gateway.status_advice import ADVICE

_CASES = (perms.CASES_VIEW_ALL, perms.CASES_VIEW_AGENCY)

# Where each problem is looked at in the console: (endpoint, query, who may
# open it, link text). Problems with no page (a server down) have none.
PAGES: dict[str, tuple[str, dict[str, Any], tuple[str, ...], Any]] = {
    "referrals_overdue": ("console_cases.index", {"overdue": "1"}, _CASES, _l("Overdue cases")),
    "referrals_unanswered": (
        "console_cases.index",
        {"overdue": "1"},
        _CASES,
        _l("Overdue cases"),
    ),
    "cases_unheld": (
        "console_cases.index",
        {"status": "unheld"},
        _CASES,
        _l("Cases nobody holds"),
    ),
    "focal_points_unreachable": (
        "console_directory.index",
        {},
        (perms.DIRECTORY_VIEW,),
        _l("Directory"),
    ),
    "alerts_unrouted": (
        "console_cases.index",
        {"status": "unrouted"},
        _CASES,
        _l("Cases not routed yet"),
    ),
    "sends_stuck": ("console_messages.index", {"status": "queued"}, (), _l("Queued messages")),
    "sends_failing": (
        "console_messages.index",
        {"status": "retrying"},
        (),
        _l("Messages being retried"),
    ),
    "failed_jobs": ("console_messages.failed", {}, (), _l("Failed jobs")),
    "messages_failed": ("console_messages.index", {"status": "failed"}, (), _l("Failed messages")),
    "webhooks_failed": ("console_messages.failed", {}, (), _l("Failed jobs")),
}


def problem_links(user: Any, problems: list[str]) -> dict[str, tuple[str, str]]:
    """For each of ``problems`` with a console page ``user`` may open: (URL, link text).

    The status page itself needs ``messages.view``: its message pages need
    nothing more; case and directory pages need their own permission.
    """
    links = {}
    for problem in problems:
        if problem not in PAGES:
            continue
        endpoint, query, needs, text = PAGES[problem]
        if needs and not perms.can_any(user, *needs):
            continue
        links[problem] = (url_for(endpoint, **query), str(text))
    return links


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
        links=problem_links(current_user, list(snapshot.problems)),
        watched=[str(s) for s in status.WATCHED],
        when=when,
        **case_labels.template_labels(),
    )
