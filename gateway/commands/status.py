"""``relais status``: the system status in a terminal (exit 1 when something needs attention).

The same :class:`gateway.status.Snapshot` as the console's *Messages →
System status* page and ``/metrics``, for an operator on the server without a
browser, or a cron job (``relais status --quiet || notify-someone``).
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from gateway import runtime, status
from gateway.status_advice import ADVICE


def render(snapshot: status.Snapshot) -> list[str]:
    """The snapshot as lines of text: problems with advice first, then the figures."""
    with force_locale("en"):
        lines = [f"needs attention: {p}: {ADVICE[p]}" for p in snapshot.problems]
    if not snapshot.problems:
        lines.append("ok: nothing needs attention")
    db, rd = snapshot.database, snapshot.redis
    if db is not None:
        lines.append(
            f"referrals waiting {db.referrals_waiting}, escalation late {db.referrals_overdue}, "
            f"unanswered at the end of the chain {db.referrals_unanswered}; "
            f"cases nobody holds {db.cases_unheld}; "
            f"focal points unreachable {db.focal_points_unreachable}; "
            f"alerts unrouted {db.alerts_unrouted}; "
            f"oldest pending send {int(db.oldest_pending_send_seconds)} s; "
            f"oldest unsent {int(db.oldest_unsent_seconds)} s; "
            f"agency webhooks pending {db.webhooks['pending']}, failed {db.webhooks['failed']}"
        )
        for direction in ("in", "out"):
            counts = ", ".join(
                f"{state} {db.messages[(direction, str(state))]}" for state in status.WATCHED
            )
            lines.append(f"messages {direction}: {counts}")
    if rd is not None:
        queued = ", ".join(f"{name} {n}" for name, n in rd.queue_jobs.items())
        failed = ", ".join(f"{name} {n}" for name, n in rd.failed_jobs.items())
        lines.append(f"workers {rd.workers}; jobs waiting: {queued}; failed: {failed}")
    return lines


@click.command("status")
@click.option("--quiet", is_flag=True, help="Print nothing; only the exit status (1: attention).")
@with_appcontext
def status_command(quiet: bool) -> None:
    """Is work flowing? Problems with what to check, then counts (no personal data)."""
    rt = runtime.current()
    snapshot = status.take(rt.db, rt.redis)
    if not quiet:
        for line in render(snapshot):
            click.echo(line)
    sys.exit(1 if snapshot.problems else 0)
