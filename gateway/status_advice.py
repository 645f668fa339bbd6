"""What each system-status problem means and what to check, in the operator's words.

:mod:`gateway.status` finds the problems; this module names them, orders them
by urgency and says what to do, for the console (translated) and for
``relais status``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# What an operator must look at, in the order of urgency.
PROBLEMS = (
    "database_down",
    "redis_down",
    "no_worker",
    "referrals_overdue",
    "referrals_unanswered",
    "cases_unheld",
    "focal_points_unreachable",
    "alerts_unrouted",
    "sends_stuck",
    "sends_failing",
    "failed_jobs",
    "messages_failed",
    "webhooks_failed",
)

# What each problem means and what to check, in the operator's words.
ADVICE = {
    "database_down": _l(
        "The database does not answer (or has no tables): new reports cannot be stored and"
        " providers will retry. Check the database server, DATABASE_URL and that the release"
        " step (relais release) ran."
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
    "referrals_unanswered": _l(
        "Referrals are past their deadline and nobody is left to escalate to: the last person"
        " of the chain (often the supervisor) did not answer either. Open the overdue cases and"
        " assign or transfer each one."
    ),
    "cases_unheld": _l(
        "Cases nobody holds: refused by every focal point planned for them and by the fallback"
        " agency, or opened when nobody of the agency was active. Open Cases with the status"
        " \u201cnobody holds it\u201d and assign or transfer each one."
    ),
    "focal_points_unreachable": _l(
        "Active focal points whose number cannot receive SMS (opted out, blocked or reported"
        " invalid by the provider): referrals skip them. Check these people and their numbers"
        " with their agency, and correct the directory."
    ),
    "alerts_unrouted": _l(
        "Alerts are waiting more than a minute for routing. Check the worker and that a directory"
        " is loaded."
    ),
    "sends_stuck": _l(
        "The oldest message waiting to be sent has waited more than five minutes. Check the"
        " worker and the SMS provider (Failed jobs, message log)."
    ),
    "sends_failing": _l(
        "A message has waited more than 30 minutes to leave, retries included: the SMS provider"
        " refuses or does not answer (account, balance, outage). See the error codes in the"
        " message log (status “retrying”) and the provider's status page."
    ),
    "failed_jobs": _l("Background jobs failed after all their retries: see Failed jobs."),
    "messages_failed": _l(
        "Outbound messages failed for good in the last 72 hours: relais messages failed lists"
        " them with the reason, and relais messages retry --exhausted sends again those whose"
        " retries ran out."
    ),
    "webhooks_failed": _l(
        "Agency-webhook deliveries failed after all their retries: see Failed jobs (webhook-…)"
        " and retry them once the agency's endpoint answers."
    ),
}
