"""``relais messages failed|retry``: outbound messages that gave up.

A message fails for good after its retries are exhausted (both providers down
for hours) or on a permanent error (opted out, invalid number). The first
kind is worth sending again once the providers are back: ``retry --exhausted``
queues them all again; ``retry ID`` queues one. Nothing here shows a number or
a message body.
"""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from gateway import audit, runtime
from gateway.db import utcnow
from gateway.jobs import EXHAUSTED
from gateway.models import Message
from gateway.models.message import Direction, Status
from gateway.outbox import requeue


@click.group("messages")
def messages_group() -> None:
    """Outbound messages that failed."""


def _failed(since_hours: float) -> list[Message]:
    since = utcnow() - dt.timedelta(hours=since_hours)
    with runtime.current().db.session() as session:
        rows = session.scalars(
            select(Message)
            .where(
                Message.direction == Direction.OUT,
                Message.status == Status.FAILED,
                Message.updated_at >= since,
            )
            .order_by(Message.id)
        ).all()
        for row in rows:
            _ = row.events
        return list(rows)


def _exhausted(message: Message) -> bool:
    return bool(message.events) and message.events[-1].detail == EXHAUSTED


@messages_group.command("failed")
@click.option("--since", "since_hours", default=72.0, help="Hours to look back (default 72).")
@with_appcontext
def failed(since_hours: float) -> None:
    """List failed outbound messages (id, channel, provider, error, attempts)."""
    rows = _failed(since_hours)
    for m in rows:
        why = "retries exhausted" if _exhausted(m) else "permanent error"
        click.echo(
            f"{m.id}\t{m.kind}\t{m.channel}\t{m.provider or '-'}\t{m.error_code or '-'}\t"
            f"{m.attempts} attempts\t{why}\t{m.updated_at:%Y-%m-%d %H:%M}"
        )
    click.echo(f"{len(rows)} failed message(s)")


@messages_group.command("retry")
@click.argument("message_id", required=False, type=int)
@click.option("--exhausted", is_flag=True, help="Every message whose retries were exhausted.")
@click.option("--since", "since_hours", default=72.0, help="With --exhausted: hours to look back.")
@with_appcontext
def retry(message_id: int | None, exhausted: bool, since_hours: float) -> None:
    """Queue failed messages again (one by id, or --exhausted)."""
    if message_id is not None and exhausted:
        raise click.UsageError("give a message id or --exhausted, not both")
    if message_id is None and not exhausted:
        raise click.UsageError("give a message id, or --exhausted for every message that gave up")
    ids = [m.id for m in _failed(since_hours) if _exhausted(m)] if exhausted else [message_id or 0]
    requeued = 0
    with runtime.current().db.session() as session:
        for mid in ids:
            message = session.get(Message, mid)
            if message is None or message.status != Status.FAILED:
                if not exhausted:
                    raise click.ClickException(f"message {mid} is not a failed outbound message")
                continue
            requeue(session, message, detail="queued again by an operator")
            requeued += 1
        target = "exhausted" if exhausted else str(message_id)
        audit.record(session, audit.CLI, "messages.retry", "message", target, f"{requeued} queued")
    click.echo(f"queued again: {requeued}")
