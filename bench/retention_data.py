"""Data for the retention benchmark: months of alerts with everything a purge reaches.

``bench/scale.py`` writes alerts and referrals only (no contact, message or
conversation). The purge reads and writes those too, so this generator writes,
for ``n`` alerts one every 94 s (the rate of ``bench/scale.py``: about 920 a
day, so that a day's and a period's worth of rows are those of the 1 M run,
whatever ``n``), ending an hour before ``now``:

* one contact per alert (the reporter), plus 30 % more who wrote and gave up
  (two messages each way, an abandoned conversation), plus 40 staff numbers
  (the focal points, texted every day; their directory, whose names are
  encrypted with the run's key, is loaded by the benchmark afterwards);
* 13 messages per alert: six each way with the reporter, one referral SMS to
  a focal point; bodies and numbers are ciphertext-sized random text;
* one conversation per alert (completed, tied to it);
* one referral per alert, 2–4 referral events, a note on about half of them;
* alerts older than 25 days closed, except 2 % never closed (forgotten
  cases); 2 % training data.

``INSERT … SELECT generate_series`` on PostgreSQL; nothing here is personal
data or decryptable.
"""

# ruff: noqa: S608 - every statement is a constant of this file

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import Engine, text

from bench.scale import ALERT_COLUMNS, ALERT_VALUES

SPACING_S = 94  # seconds between two alerts, as bench/scale.py
ABANDONED_SHARE = 0.3
FOCAL_POINTS = 40
MESSAGES_PER_ALERT = 13

# :n alerts, :a abandoned contacts, :now (naive UTC). Alert g at ts(g).
_TS = "(:now - interval '1 hour' - (:n - g) * interval '94 seconds')"


def _token(salt: str, key: str = "g") -> str:
    """SQL for a ciphertext-sized (~100 characters) random-looking text, one per ``key``."""
    return f"('gAAAAA' || md5({key}::text || '{salt}') || md5({key}::text || '{salt}x'))"


GENERATE: list[str] = [
    # Reporters (one per alert), then those who gave up, then focal points.
    f"""
    INSERT INTO contacts (id, phone_hash, phone, language, opted_out, blocked, invalid_number,
        is_training, created_at, last_seen_at)
    SELECT g, md5(g::text) || md5(g::text || 'h'), {_token("p")}, 'fr',
        false, false, false, g % 50 = 0, ts - interval '10 minutes', ts + interval '5 minutes'
    FROM (SELECT g, {_TS} AS ts FROM generate_series(1, :n) g) s
    """,
    f"""
    INSERT INTO contacts (id, phone_hash, phone, language, opted_out, blocked, invalid_number,
        is_training, created_at, last_seen_at)
    SELECT :n + g, md5('a' || g) || md5('a' || g || 'h'), {_token("q")}, 'fr',
        false, false, false, false, ts, ts
    FROM (SELECT g, :now - interval '2 hours' - (:a - g) * (:n * interval '94 seconds' / :a) AS ts
          FROM generate_series(1, :a) g) s
    """,
    f"""
    INSERT INTO contacts (id, phone_hash, phone, language, opted_out, blocked, invalid_number,
        is_training, created_at, last_seen_at)
    SELECT :n + :a + g, md5('f' || g) || md5('f' || g || 'h'), {_token("f")}, 'fr',
        false, false, false, false, :now - :n * interval '94 seconds', :now - interval '1 day'
    FROM generate_series(1, {FOCAL_POINTS}) g
    """,
    # Alerts: closed some days after they came in, except forgotten ones.
    f"""
    INSERT INTO alerts (id, reference, contact_id, {ALERT_COLUMNS}, landmark, details,
        status, is_training, routed_at, created_at, closed_at)
    SELECT g, 'R' || lpad(g::text, 7, '0'), g,{ALERT_VALUES},
        {_token("l")}, {_token("d")} || {_token("e")},
        CASE WHEN g % 50 = 0 THEN 'received'
             WHEN g % 100 IN (1, 2) THEN 'in_progress'
             WHEN closes < :now THEN 'closed' ELSE 'in_progress' END,
        g % 50 = 0, ts + interval '3 seconds', ts,
        CASE WHEN g % 50 <> 0 AND g % 100 NOT IN (1, 2) AND closes < :now THEN closes END
    FROM (SELECT g, ts, ts + (1 + g % 25) * interval '1 day' AS closes
          FROM (SELECT g, {_TS} AS ts FROM generate_series(1, :n) g) t) s
    """,
    # 12 messages with the reporter (even: in, odd: out), then the referral SMS.
    f"""
    INSERT INTO messages (id, direction, channel, provider, provider_id, contact_id, body,
        status, kind, queue, attempts, possible_duplicate, is_training, created_at, updated_at)
    SELECT g * {MESSAGES_PER_ALERT} + i,
        CASE WHEN i % 2 = 0 AND i < 12 THEN 'in' ELSE 'out' END, 'twilio', 'twilio',
        'SM' || (g * {MESSAGES_PER_ALERT} + i),
        CASE WHEN i < 12 THEN g ELSE :n + :a + 1 + g % {FOCAL_POINTS} END,
        {_token("m")},
        CASE WHEN i % 2 = 0 AND i < 12 THEN 'handled' ELSE 'delivered' END,
        CASE WHEN i = 12 THEN 'referral' WHEN i % 2 = 0 THEN 'sms' ELSE 'reply' END,
        'high', 1, false, g % 50 = 0,
        ts - (12 - i) * interval '20 seconds', ts - (12 - i) * interval '20 seconds'
    FROM (SELECT g, {_TS} AS ts FROM generate_series(1, :n) g) s,
         generate_series(0, {MESSAGES_PER_ALERT - 1}) i
    """,
    f"""
    INSERT INTO messages (id, direction, channel, provider, provider_id, contact_id, body,
        status, kind, queue, attempts, possible_duplicate, is_training, created_at, updated_at)
    SELECT (:n + 1) * {MESSAGES_PER_ALERT} + g * 4 + i,
        CASE WHEN i % 2 = 0 THEN 'in' ELSE 'out' END, 'twilio', 'twilio',
        'SA' || (g * 4 + i), :n + g, {_token("b")},
        CASE WHEN i % 2 = 0 THEN 'handled' ELSE 'delivered' END, 'sms', 'high', 1, false, false,
        c.created_at + i * interval '20 seconds', c.created_at + i * interval '20 seconds'
    FROM generate_series(1, :a) g JOIN contacts c ON c.id = :n + g, generate_series(0, 3) i
    """,
    f"""
    INSERT INTO conversations (id, contact_id, channel, session_id, flow, state, status,
        alert_id, created_at, updated_at, expires_at)
    SELECT g, g, CASE WHEN g % 4 IN (1, 2) THEN 'ussd' ELSE 'sms' END,
        CASE WHEN g % 4 IN (1, 2) THEN 'ATUid_' || g END, 'alert',
        {_token("s")} || {_token("t")} || {_token("u")},
        'completed', g, ts - interval '4 minutes', ts, ts + interval '1 day'
    FROM (SELECT g, {_TS} AS ts FROM generate_series(1, :n) g) s
    """,
    f"""
    INSERT INTO conversations (id, contact_id, channel, flow, state, status, created_at,
        updated_at, expires_at)
    SELECT :n + g, :n + g, 'sms', 'alert', {_token("v")}, 'abandoned',
        c.created_at, c.created_at + interval '1 minute', c.created_at + interval '1 day'
    FROM generate_series(1, :a) g JOIN contacts c ON c.id = :n + g
    """,
    """
    INSERT INTO referrals (id, alert_id, agency_id, rule_id, status, chain, level,
        focal_point_id, accepted_by, outcome, notified_at, due_at, answer_by, accepted_at,
        reminder_due_at, closed_at, is_training, created_at, updated_at)
    SELECT a.id, a.id, (ARRAY['iom','dnds','dnpef','samusocial','unicef'])[1 + a.id % 5],
        'rule-' || (a.id % 9),
        CASE a.status WHEN 'received' THEN 'notified' WHEN 'in_progress' THEN 'accepted'
                      ELSE 'closed' END,
        '[]', 0, 'fp-' || (1 + a.id % 40),
        CASE WHEN a.status <> 'received' THEN 'fp-' || (1 + a.id % 40) END,
        CASE WHEN a.status = 'closed' THEN
            (ARRAY['reunified','placed','referred','not_found','false_alarm'])[1 + a.id % 5] END,
        a.created_at + interval '5 seconds', NULL, a.created_at + interval '15 minutes',
        CASE WHEN a.status <> 'received' THEN a.created_at + interval '20 minutes' END,
        NULL, a.closed_at, a.is_training, a.created_at, a.created_at
    FROM alerts a
    """,
    # notified, accepted, closed (with a note), and a free note on a third.
    f"""
    INSERT INTO referral_events (referral_id, event, from_status, to_status, actor, channel,
        note, at)
    SELECT r.id, e.event, e.from_status, e.to_status, 'fp-' || (1 + r.id % 40), 'sms',
        CASE WHEN e.event IN ('close', 'note') THEN {_token("r", "r.id")}
        END,
        r.created_at + e.k * interval '1 hour'
    FROM referrals r
    JOIN (VALUES (0, 'notify', 'new', 'notified'), (1, 'accept', 'notified', 'accepted'),
                 (2, 'note', 'accepted', 'accepted'), (3, 'close', 'accepted', 'closed'))
         AS e(k, event, from_status, to_status)
      ON (e.k = 0 OR (e.k = 1 AND r.status <> 'notified') OR (e.k = 2 AND r.id % 3 = 0
          AND r.status <> 'notified') OR (e.k = 3 AND r.status = 'closed'))
    """,
]

SEQUENCES = ["contacts", "alerts", "messages", "conversations", "referrals", "referral_events"]


def generate(engine: Engine, n: int, now: dt.datetime) -> dict[str, Any]:
    """Fill a migrated, empty PostgreSQL database; returns row counts and the time taken."""
    params = {"n": n, "a": int(n * ABANDONED_SHARE), "now": now.replace(tzinfo=None)}
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for sql in GENERATE:
            conn.execute(text(sql), params)
        for table in SEQUENCES:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    generated = time.perf_counter() - t0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in SEQUENCES}
        size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
        counts["database_size"] = size.scalar()
    return {"generate_s": round(generated, 1), "rows": counts}
