"""gateway.status: what counts as a problem."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from gateway import runtime, status
from gateway.db import utcnow
from gateway.models import Contact, Message
from gateway.models.message import Status


def _pending(status_: str, age: dt.timedelta, next_attempt: dt.timedelta | None = None) -> None:
    now = utcnow()
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, "+22376123445")
        session.add(
            Message(
                direction="out",
                channel="twilio",
                provider="twilio",
                contact=contact,
                body="x",
                status=status_,
                kind="reply",
                created_at=now - age,
                next_attempt_at=now + next_attempt if next_attempt is not None else None,
            )
        )


def test_a_retry_waiting_for_its_next_attempt_is_not_a_stuck_send(app: Flask) -> None:
    """A handset off (30003) or a backoff of 10 minutes is waiting by design."""
    _pending(Status.RETRYING, dt.timedelta(minutes=20), next_attempt=dt.timedelta(minutes=5))
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None
    assert snapshot.database.oldest_pending_send_seconds == 0
    assert "sends_stuck" not in snapshot.problems


def test_a_send_late_since_it_was_due_is_a_stuck_send(app: Flask) -> None:
    _pending(Status.RETRYING, dt.timedelta(minutes=30), next_attempt=-dt.timedelta(minutes=8))
    _pending(Status.QUEUED, dt.timedelta(minutes=2))
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None
    assert 470 < snapshot.database.oldest_pending_send_seconds < 600  # due 8 minutes ago
    assert "sends_stuck" in snapshot.problems
