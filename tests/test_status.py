"""gateway.status: what counts as a problem."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from gateway import runtime, status
from gateway.db import utcnow
from gateway.models import Contact, Message
from gateway.models.message import Status


def _pending(
    status_: str,
    age: dt.timedelta,
    next_attempt: dt.timedelta | None = None,
    error_code: str | None = None,
    *,
    training: bool = False,
) -> None:
    """An outbound message created (and last changed) ``age`` ago."""
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
                updated_at=now - age,
                is_training=training,
                error_code=error_code,
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


def test_a_provider_down_for_an_hour_is_a_problem_though_no_send_is_due(app: Flask) -> None:
    """Every row waits for its next attempt: sends_stuck rightly stays quiet,
    and before this nothing at all was reported until the retries ran out."""
    for minutes in (60, 40):
        _pending(Status.RETRYING, dt.timedelta(minutes=minutes), dt.timedelta(20), "network")
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None
    assert 3590 < snapshot.database.oldest_unsent_seconds < 3700
    assert "sends_failing" in snapshot.problems and "sends_stuck" not in snapshot.problems


def test_a_handset_off_for_an_hour_is_not_a_failing_provider(app: Flask) -> None:
    _pending(Status.RETRYING, dt.timedelta(minutes=60), dt.timedelta(minutes=10), "30003")
    _pending(Status.RETRYING, dt.timedelta(minutes=10), dt.timedelta(minutes=5), "500")
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None
    assert 590 < snapshot.database.oldest_unsent_seconds < 700  # the 500, not the handset
    assert "sends_failing" not in snapshot.problems


def test_a_focal_point_whose_number_cannot_receive_is_a_problem(app: Flask) -> None:
    """Routing skips them: with no figure an agency could silently lose its only person."""
    from gateway.config import PROJECT_ROOT
    from gateway.referrals import store

    rt = runtime.current()
    store.load_file(rt.db, PROJECT_ROOT / "examples" / "bamako-directory.yaml")
    assert "focal_points_unreachable" not in status.take(rt.db, rt.redis).problems
    with rt.db.session() as session:
        contact = Contact.find(session, "+22366000102")  # iom-bko-bm
        assert contact is not None
        contact.opted_out = True
    snapshot = status.take(rt.db, rt.redis)
    assert snapshot.database is not None and snapshot.database.focal_points_unreachable == 1
    assert "focal_points_unreachable" in snapshot.problems


def _failed(age: dt.timedelta, *, training: bool = False) -> None:
    _pending(Status.FAILED, age, training=training)


def test_an_old_failure_no_longer_needs_attention(app: Flask) -> None:
    """The all-time count kept `relais status` at exit 1 for ever after one
    failure to a wrong number, which nothing could clear."""
    _failed(dt.timedelta(days=4))
    _failed(dt.timedelta(minutes=5), training=True)  # a trainer's demo
    snapshot = status.take(runtime.current().db, runtime.current().redis)
    assert snapshot.database is not None
    assert snapshot.database.messages[("out", "failed")] == 2  # still counted, for the gauges
    assert "messages_failed" not in snapshot.problems


def test_a_recent_failure_needs_attention(app: Flask) -> None:
    _failed(dt.timedelta(hours=71))
    assert "messages_failed" in status.take(runtime.current().db, runtime.current().redis).problems
