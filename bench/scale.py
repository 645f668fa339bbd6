"""Report and case-list queries over 1,000,000 alerts in PostgreSQL.

The console's report and case-list pages are not written yet; these are the
queries they will need, on the real schema (migrated to head) of a database
created for the run (``relais_bench_scale``, dropped afterwards):

* counts by concern / commune / sex / status for a period (a month, a year);
* referral outcomes by agency for a period, and time to acceptance;
* the case list: filtered, newest first, paginated (first and a deep page),
  with its total for the pager, and the overdue referrals.

Rows come from ``INSERT … SELECT generate_series`` (seconds, not hours).
Each query runs 5 times (the first warms the cache); the median is reported
with its ``EXPLAIN (ANALYZE, BUFFERS)``. The same queries then run again after
creating the indexes proposed in docs/benchmarks.md, to show their effect.
"""

# ruff: noqa: S608 - every statement is a constant of this file

from __future__ import annotations

import statistics
import time
from typing import Any

from sqlalchemy import create_engine, text

from bench.stack import create_pg_database, drop_pg_database
from gateway import migrate
from gateway.db import normalize_url

DB = "relais_bench_scale"

# A generated alert's columns from channel to consent_messages (g: its number);
# bench/retention_data.py generates the same alerts with their personal data.
ALERT_COLUMNS = (
    "channel, via, language, concern, place, children_count, sex, age_band, "
    "immediate_danger, risk, consent_callback, consent_messages"
)
ALERT_VALUES = """
        (ARRAY['twilio','africastalking'])[1 + g % 2],
        (ARRAY['sms','ussd','ussd','oneshot'])[1 + g % 4],
        (ARRAY['fr','fr','bm','en'])[1 + (g / 7) % 4],
        (ARRAY['separated','displaced','abuse','exploitation','street','other'])[1 + (g * 7) % 6],
        (ARRAY['ML-BKO-C1','ML-BKO-C2','ML-BKO-C3','ML-BKO-C4','ML-BKO-C5','ML-BKO-C6',
               'ML-1','ML-2','ML-3','ML-4','ML-5','ML-6','ML-7'])[1 + (g / 17) % 13],
        1 + g % 4,
        (ARRAY['girl','boy','both','unknown'])[1 + (g / 3) % 4],
        (ARRAY['0-4','5-11','12-14','15-17','unknown'])[1 + (g / 5) % 5],
        (ARRAY['yes','no','unknown'])[1 + (g / 11) % 3],
        (ARRAY['high','medium','medium','low','low'])[1 + (g / 13) % 5],
        g % 2 = 0, g % 3 = 0"""

GENERATE = [
    f"""
    INSERT INTO alerts (reference, contact_id, {ALERT_COLUMNS},
        status, is_training, routed_at, created_at, closed_at)
    SELECT
        'R' || lpad(g::text, 7, '0'),
        NULL,{ALERT_VALUES},
        CASE WHEN g % 20 = 0 THEN 'received' WHEN g % 20 < 4 THEN 'in_progress' ELSE 'closed' END,
        g % 50 = 0,
        ts + interval '3 seconds',
        ts,
        CASE WHEN g % 20 >= 4 THEN ts + interval '2 days' END
    FROM (
        SELECT g, timestamp '2023-01-01' + (g * interval '94 seconds') AS ts
        FROM generate_series(1, :n) AS g
    ) s
    """,
    """
    INSERT INTO referrals (alert_id, agency_id, rule_id, status, chain, level, focal_point_id,
        accepted_by, outcome, notified_at, due_at, answer_by, accepted_at, reminder_due_at,
        closed_at, is_training, created_at, updated_at)
    SELECT a.id,
        (ARRAY['iom','dnds','dnpef','samusocial','unicef'])[1 + a.id % 5],
        'rule-' || (a.id % 9),
        CASE a.status WHEN 'received' THEN (ARRAY['notified','escalated'])[1 + a.id % 2]
                      WHEN 'in_progress' THEN 'accepted' ELSE 'closed' END,
        '[]', a.id % 3,
        'fp-' || (a.id % 40),
        CASE WHEN a.status <> 'received' THEN 'fp-' || (a.id % 40) END,
        CASE WHEN a.status = 'closed' THEN
            (ARRAY['reunified','placed','referred','not_found','false_alarm'])[1 + a.id % 5] END,
        a.created_at + interval '5 seconds',
        CASE WHEN a.status = 'received' THEN a.created_at + interval '15 minutes' END,
        a.created_at + interval '15 minutes 5 seconds',
        CASE WHEN a.status <> 'received'
            THEN a.created_at + (a.id % 3600) * interval '1 second' END,
        CASE WHEN a.status = 'in_progress' THEN a.created_at + interval '3 days' END,
        a.closed_at, a.is_training, a.created_at, a.created_at
    FROM alerts a
    """,
    "ANALYZE alerts",
    "ANALYZE referrals",
]
# After a bulk load, as autovacuum would: sets the visibility map (index-only scans).
VACUUM = ["VACUUM ANALYZE alerts", "VACUUM ANALYZE referrals"]

# name → (description, SQL). Periods are fixed inside the generated data.
MONTH = "created_at >= '2025-03-01' AND created_at < '2025-04-01'"
YEAR = "created_at >= '2024-01-01' AND created_at < '2025-01-01'"
QUERIES: dict[str, tuple[str, str]] = {
    "by_concern_month": (
        "alerts by concern, one month",
        f"SELECT concern, count(*) FROM alerts WHERE {MONTH} AND NOT is_training "
        "AND erased_at IS NULL GROUP BY concern",
    ),
    "by_concern_year": (
        "alerts by concern, one year",
        f"SELECT concern, count(*) FROM alerts WHERE {YEAR} AND NOT is_training "
        "AND erased_at IS NULL GROUP BY concern",
    ),
    "by_place_sex_year": (
        "alerts by commune × sex, one year",
        f"SELECT place, sex, count(*) FROM alerts WHERE {YEAR} AND NOT is_training "
        "GROUP BY place, sex",
    ),
    "by_status_all": (
        "alerts by status, all time",
        "SELECT status, count(*) FROM alerts WHERE NOT is_training GROUP BY status",
    ),
    "referrals_by_agency_year": (
        "referral status × agency, one year",
        f"SELECT agency_id, status, count(*) FROM referrals WHERE {YEAR} AND NOT is_training "
        "GROUP BY agency_id, status",
    ),
    "time_to_accept_year": (
        "median time to acceptance by agency, one year",
        "SELECT agency_id, percentile_cont(0.5) WITHIN GROUP "
        "(ORDER BY extract(epoch FROM accepted_at - notified_at)) FROM referrals "
        f"WHERE {YEAR} AND accepted_at IS NOT NULL GROUP BY agency_id",
    ),
    "case_list_open_page1": (
        "case list: open cases, newest first, page 1 (50) with current referral",
        "SELECT a.id, a.reference, a.concern, a.place, a.risk, a.status, a.created_at, "
        "r.agency_id, r.status AS referral_status FROM alerts a "
        "LEFT JOIN LATERAL (SELECT agency_id, status FROM referrals WHERE alert_id = a.id "
        "ORDER BY id DESC LIMIT 1) r ON true "
        "WHERE a.status IN ('received','in_progress') AND NOT a.is_training "
        "ORDER BY a.created_at DESC LIMIT 50",
    ),
    "case_list_filtered_deep": (
        "case list: commune V, high risk, page 100 (offset 4950)",
        "SELECT a.id, a.reference, a.concern, a.status, a.created_at FROM alerts a "
        "WHERE a.place = 'ML-BKO-C5' AND a.risk = 'high' AND NOT a.is_training "
        "ORDER BY a.created_at DESC LIMIT 50 OFFSET 4950",
    ),
    "case_list_total": (
        "case list total for the pager: open cases",
        "SELECT count(*) FROM alerts "
        "WHERE status IN ('received','in_progress') AND NOT is_training",
    ),
    "case_list_by_agency": (
        "case list: one agency's open referrals, newest first",
        "SELECT r.id, r.alert_id, r.status, r.created_at FROM referrals r "
        "WHERE r.agency_id = 'iom' AND r.status IN ('notified','escalated','accepted') "
        "ORDER BY r.created_at DESC LIMIT 50",
    ),
    "sweeper_unrouted_alerts": (
        "sweeper and /metrics: alerts not routed yet (every 30 s)",
        "SELECT id FROM alerts WHERE routed_at IS NULL AND erased_at IS NULL "
        "AND created_at < '2026-01-01'",
    ),
    "sweeper_pending_webhooks": (
        "sweeper and /metrics: agency-webhook deliveries pending",
        "SELECT id FROM referrals WHERE webhook_status = 'pending' AND created_at < '2026-01-01'",
    ),
    "sweeper_undated_referrals": (
        "sweeper: waiting referrals without an answer deadline (every 30 s)",
        "SELECT id FROM referrals WHERE status IN ('notified','escalated') "
        "AND answer_by IS NULL AND notified_at IS NOT NULL",
    ),
    "unanswered_referrals": (
        "system status and /metrics: past the end of their chain",
        "SELECT count(*) FROM referrals WHERE status IN ('notified','escalated') "
        "AND due_at IS NULL AND answer_by < '2025-06-01' AND NOT is_training",
    ),
    "overdue_referrals": (
        "overdue referrals (escalation due)",
        "SELECT id, alert_id, agency_id, due_at FROM referrals "
        "WHERE status IN ('notified','escalated') AND due_at <= '2025-06-01' "
        "ORDER BY due_at LIMIT 100",
    ),
}

PROPOSED_INDEXES = [
    # Period reports: one index serves every "by X for a period" query
    # (index-only scans with the grouped column included).
    "CREATE INDEX ix_alerts_period ON alerts (created_at) "
    "INCLUDE (concern, place, sex, status, is_training, erased_at)",
    # Case list: open cases newest first without sorting the whole table.
    "CREATE INDEX ix_alerts_status_created ON alerts (status, created_at DESC)",
    # Referral reports and an agency's list.
    "CREATE INDEX ix_referrals_period ON referrals (created_at) "
    "INCLUDE (agency_id, status, is_training, notified_at, accepted_at)",
    "CREATE INDEX ix_referrals_agency_status_created "
    "ON referrals (agency_id, status, created_at DESC)",
    "ANALYZE alerts",
    "ANALYZE referrals",
]


def run(n: int = 1_000_000, repeat: int = 5) -> dict[str, Any]:
    """Generate ``n`` alerts (and referrals), time every query before and after the indexes."""
    url = create_pg_database(DB)
    try:
        migrate.upgrade(url)
        engine = create_engine(normalize_url(url))
        with engine.begin() as conn:
            t0 = time.perf_counter()
            for sql in GENERATE:
                conn.execute(text(sql), {"n": n})
            generated = time.perf_counter() - t0
        _vacuum(engine)
        with engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("alerts", "referrals")
            }
            existing = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT indexname FROM pg_indexes "
                        "WHERE tablename IN ('alerts','referrals') ORDER BY 1"
                    )
                )
            ]
        before = _measure(engine, repeat)
        with engine.begin() as conn:
            t0 = time.perf_counter()
            for sql in PROPOSED_INDEXES:
                conn.execute(text(sql))
            indexed = time.perf_counter() - t0
        _vacuum(engine)
        after = _measure(engine, repeat)
        engine.dispose()
    finally:
        drop_pg_database(DB)
    rows = []
    for name, (desc, _sql) in QUERIES.items():
        rows.append(
            {
                "query": name,
                "what": desc,
                "ms_now": before[name]["median_ms"],
                "ms_with_indexes": after[name]["median_ms"],
                "plan_now": before[name]["plan_summary"],
                "plan_with_indexes": after[name]["plan_summary"],
            }
        )
    return {
        "alerts": counts["alerts"],
        "referrals": counts["referrals"],
        "generate_s": round(generated, 1),
        "create_indexes_s": round(indexed, 1),
        "existing_indexes": existing,
        "proposed_indexes": [s for s in PROPOSED_INDEXES if s.startswith("CREATE")],
        "rows": rows,
        "explain_now": {k: v["explain"] for k, v in before.items()},
        "explain_with_indexes": {k: v["explain"] for k, v in after.items()},
    }


def _vacuum(engine: Any) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for sql in VACUUM:
            conn.execute(text(sql))


def _measure(engine: Any, repeat: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for name, (_desc, sql) in QUERIES.items():
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                conn.execute(text(sql)).fetchall()
                times.append(time.perf_counter() - t0)
            plan = [r[0] for r in conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))]
            out[name] = {
                "median_ms": round(statistics.median(times[1:] or times) * 1000, 1),
                "explain": plan,
                "plan_summary": _summary(plan),
            }
    return out


def _summary(plan: list[str]) -> str:
    """The node types of a plan, outermost first (e.g. 'Limit > Sort > Seq Scan on alerts')."""
    nodes = []
    for line in plan:
        stripped = line.strip().removeprefix("->").strip()
        if "(cost=" in stripped or "(actual" in stripped:
            node = stripped.split("  (")[0]
            if node not in nodes:
                nodes.append(node)
    return " > ".join(nodes[:5])
