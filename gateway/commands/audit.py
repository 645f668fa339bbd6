"""``relais audit tail``: the latest audit events (see :mod:`gateway.audit`)."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from gateway import audit, runtime


@click.group("audit")
def audit_group() -> None:
    """The audit log (append-only)."""


@audit_group.command("tail")
@click.option("-n", "limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@with_appcontext
def audit_tail(limit: int) -> None:
    """Print the latest events, oldest first: time, actor, action, target, detail."""
    with runtime.current().db.session() as session:
        events = audit.tail(session, limit)
    if not events:
        click.echo("no audit events")
        return
    for event in events:
        at = event.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        target = f"{event.target_type}:{event.target_id}" if event.target_type else "-"
        ip = f"  ip#{event.ip_hash[:8]}" if event.ip_hash else ""
        click.echo(f"{at}  {event.actor}  {event.action}  {target}  {event.detail or '-'}{ip}")
