"""Forcing an interleaving on PostgreSQL: hold a lock, let N requests queue behind it.

A race test must not rely on timing luck. :func:`held` takes a lock in a
connection of its own (a row ``FOR UPDATE``, or a table lock) and yields a
``wait(n)`` that returns once ``n`` other sessions of the database are
waiting on a lock: by then each racer has read what it read and is stuck
at its first write. Leaving the ``with`` block releases the lock and the
racers go on, in the order they queued.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from gateway import runtime
from gateway.db import normalize_url

WAIT_LIMIT = 30.0  # seconds; a racer that never queues is a broken test


def require_postgresql() -> None:
    """Skip the test on SQLite: its writers are serialised by one file lock,
    which no second connection can show us others waiting on."""
    if runtime.current().db.engine.dialect.name != "postgresql":
        pytest.skip("forcing the interleaving needs PostgreSQL's lock views")


def _waiting(conn: Any) -> int:
    return int(
        conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    )


@contextmanager
def held(statement: str, **params: object) -> Iterator[Callable[[int], None]]:
    """Run ``statement`` (which takes a lock) in its own transaction until the block ends."""
    engine = create_engine(normalize_url(runtime.current().settings.DATABASE_URL))
    try:
        # The watcher reads pg_stat_activity outside any transaction: within
        # one, PostgreSQL would show the same snapshot of it again and again.
        watching = engine.execution_options(isolation_level="AUTOCOMMIT")
        with engine.connect() as holder, watching.connect() as watcher:
            transaction = holder.begin()
            holder.execute(text(statement), params)

            def wait(count: int) -> None:
                deadline = time.monotonic() + WAIT_LIMIT
                while _waiting(watcher) < count:
                    assert time.monotonic() < deadline, f"fewer than {count} sessions queued"
                    time.sleep(0.02)

            try:
                yield wait
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


class Racer:
    """One racer: a function run in a thread (inside ``app``'s context)."""

    def __init__(self, app: Flask, target: Callable[[], Any]) -> None:
        self._result: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            with app.app_context():
                try:
                    self._result = target()
                except BaseException as exc:  # re-raised by result()
                    self._error = exc

        self._thread = threading.Thread(target=run)
        self._thread.start()

    def result(self) -> Any:
        """Wait for the racer and return what it returned (or raise what it raised)."""
        self._thread.join(timeout=WAIT_LIMIT)
        assert not self._thread.is_alive(), "a racer never finished"
        if self._error is not None:
            raise self._error
        return self._result
