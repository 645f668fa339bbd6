"""The outbox: an outbound message is a row before it is a job.

:func:`queue_outbound` adds a ``queued`` row to the caller's session; only
after that session commits are send jobs enqueued (a SQLAlchemy
``after_commit`` hook), so a job never looks for a row that is not there, and
a rolled-back row never becomes a job. If Redis is down at that moment the
row simply stays ``queued`` and the sweeper enqueues it later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from gateway import encoding
from gateway.logs import get_logger
from gateway.models import Contact, Message
from gateway.models.message import Direction, Status

log = get_logger(__name__)
_PENDING = "relais_outbox_pending"

Enqueuer = Callable[[int, str], Any]


def queue_outbound(
    session: Session,
    *,
    contact: Contact | int,
    text: str,
    channel: str,
    kind: str = "reply",
    queue: str = "high",
    training: bool = False,
    fold: bool = True,
    flush: bool = True,
) -> Message:
    """Add an outbound message to ``session``; it is enqueued once the session commits.

    ``fold`` transliterates to GSM-7 (see :mod:`gateway.encoding`) to keep
    texts at 160 characters a segment; encoding and segments are stored.
    ``flush=False`` leaves the INSERT to the commit (the message has no id
    until then): one flush less on a hot path that does not need the id.
    ``contact`` may be a contact id, when the caller has no reason to load
    (and decrypt) the contact row.
    """
    info = encoding.prepare(text, fold=fold)
    message = Message(
        direction=Direction.OUT,
        channel=channel,
        body=info.text,
        kind=kind,
        queue=queue,
        encoding=info.encoding,
        segments=info.segments,
        is_training=training,
        attempts=0,
    )
    if isinstance(contact, int):
        message.contact_id = contact
    else:
        message.contact = contact
    message.record(Status.QUEUED)
    session.add(message)
    if flush:
        session.flush()
    session.info.setdefault(_PENDING, []).append((message, queue))
    return message


def install(sessions: sessionmaker[Session], enqueue: Enqueuer) -> None:
    """Enqueue pending sends after each commit of sessions made by ``sessions``."""

    @event.listens_for(sessions, "after_commit")
    def _after_commit(session: Session) -> None:
        pending = session.info.pop(_PENDING, [])
        for message, queue_name in pending:
            message_id = message.id  # committed, so flushed: every message has its id now
            try:
                enqueue(message_id, queue_name)
            except Exception as exc:  # Redis away: the sweeper will catch up.
                log.warning(
                    "enqueue_failed",
                    message_id=message_id,
                    error=type(exc).__name__,
                )

    @event.listens_for(sessions, "after_soft_rollback")
    def _after_rollback(session: Session, previous: Any) -> None:
        if previous.nested:
            # A savepoint's rollback (e.g. the race in Contact.get_or_create):
            # the rest of the transaction still commits, with its work.
            return
        session.info.pop(_PENDING, None)


def requeue(session: Session, message: Message, *, detail: str) -> None:
    """Put a failed outbound message back in the queue, with fresh attempts."""
    message.attempts = 0
    message.next_attempt_at = None
    message.record(Status.QUEUED, detail=detail)
    session.info.setdefault(_PENDING, []).append((message, message.queue))
