"""The retention purge stays fast when its lists of ids outgrow PostgreSQL's memory.

Measured at 200,000 alerts (docs/benchmarks.md): "contacts with no message in
the period" was ``NOT IN (every message of the period)``, a list PostgreSQL
hashes only while it fits in ``work_mem`` (4 MB by default). At about 920
alerts a day, a period's messages do not fit, and the list was scanned again
for every contact: 0.11 s each, more than four hours for a first purge,
longer than the job's one-hour limit, so it was rolled back every day. Here
the same shape on a small table with a small ``work_mem``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text

from gateway import runtime
from gateway.db import utcnow
from gateway.retention import purge

N = 20_000  # silent contacts (candidates) and messages of the period


def test_contacts_with_no_recent_message_are_found_without_rescanning(app: Flask) -> None:
    rt = runtime.current()
    if rt.db.engine.dialect.name != "postgresql":
        pytest.skip("the plan in question is PostgreSQL's (SQLite builds an index for IN)")
    now = utcnow().replace(tzinfo=None)
    with rt.db.engine.begin() as conn:
        # N contacts silent for 200 days; 200 others who wrote N messages in the period.
        conn.execute(
            text(
                "INSERT INTO contacts (phone_hash, phone, opted_out, blocked, invalid_number,"
                " is_training, created_at, last_seen_at)"
                " SELECT 'h' || g, 'x', false, false, false, false, :old, :old"
                " FROM generate_series(1, :n + 200) g"
            ),
            {"n": N, "old": now - dt.timedelta(days=200)},
        )
        conn.execute(
            text(
                "INSERT INTO messages (direction, channel, contact_id, body, status, kind,"
                " queue, attempts, possible_duplicate, is_training, created_at, updated_at)"
                " SELECT 'in', 'twilio', (SELECT max(id) FROM contacts) - g % 200, 'x',"
                " 'handled', 'sms', 'high', 1, false, false, :recent, :recent"
                " FROM generate_series(1, :n) g"
            ),
            {"n": N, "recent": now - dt.timedelta(days=10)},
        )
        conn.execute(text("ANALYZE"))

    def small_memory(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cursor:
            cursor.execute("SET work_mem = '64kB'")
            cursor.execute("SET statement_timeout = '15s'")  # the old plan: minutes

    rt.db.engine.dispose()
    event.listen(rt.db.engine, "connect", small_memory)
    try:
        report = purge(rt.db, now=utcnow(), older_than=dt.timedelta(days=90), dry_run=True)
    finally:
        event.remove(rt.db.engine, "connect", small_memory)
        rt.db.engine.dispose()
    assert report.contacts_erased == N
