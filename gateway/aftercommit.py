"""Work to do only once a database transaction has committed.

Enqueueing a job for a row that might still be rolled back would let the
job look for a row that never exists. :func:`defer` holds a callable until
the session commits (and drops it on rollback); a failure in it is logged,
never raised — the sweeper recovers what did not get enqueued.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from gateway.logs import get_logger

log = get_logger(__name__)
_KEY = "relais_after_commit"


def defer(session: Session, task: Callable[[], Any]) -> None:
    """Run ``task`` after ``session`` commits; forget it if it rolls back."""
    session.info.setdefault(_KEY, []).append(task)


def install(sessions: sessionmaker[Session]) -> None:
    """Run deferred tasks for every session made by ``sessions``."""

    @event.listens_for(sessions, "after_commit")
    def _run(session: Session) -> None:
        for task in session.info.pop(_KEY, []):
            try:
                task()
            except Exception as exc:
                log.warning("after_commit_failed", error=type(exc).__name__)

    @event.listens_for(sessions, "after_soft_rollback")
    def _drop(session: Session, previous: Any) -> None:
        if previous.nested:
            # A savepoint's rollback (e.g. the race in Contact.get_or_create):
            # the rest of the transaction still commits, with its work.
            return
        session.info.pop(_KEY, None)
