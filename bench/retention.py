"""The retention purge at scale on PostgreSQL: ``python -m bench.retention``.

Generates ``--alerts`` alerts with their contacts, messages, conversations,
referrals and notes (:mod:`bench.retention_data`) in ``relais_bench_retention``,
then measures, with the code as it is:

1. **first purge**: a database never purged (months of backlog), purged as of
   yesterday, while live traffic runs beside it (:mod:`bench.retention_live`):
   how long the purge takes, its longest transaction, and how long webhooks
   and the sweeper waited;
2. **daily purge**: the next day's purge (one day of rows crossing the line),
   with ``EXPLAIN (ANALYZE, BUFFERS)`` of each rule's statements.

``--compare`` also runs both on copies of the database the way the purge
worked before batches (today's statements, but every rule one statement, all
in one transaction; the statements before ``EXISTS`` take hours: see
docs/benchmarks.md).
Prints a summary and writes ``bench/results/retention-<time>.json``; the
databases are dropped at the end unless ``--keep``. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, event, select, text

from bench.retention_data import generate
from bench.retention_live import Live, answered_to_erased, make_app, seed
from bench.stack import PG_ADMIN_URL, create_pg_database, drop_pg_database, machine
from gateway import audit, migrate, retention
from gateway.db import Database, normalize_url, utcnow
from gateway.embedded_redis import EmbeddedRedis
from gateway.retention_rules import Cutoffs

DB = "relais_bench_retention"
DAY = dt.timedelta(days=1)
PERIOD = dt.timedelta(days=90)
RESULTS = Path(__file__).resolve().parent / "results"


def _url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _copy(source: str, target: str) -> str:
    """``CREATE DATABASE target TEMPLATE source`` (no one may be connected to ``source``)."""
    engine = create_engine(normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{source}"'))
    engine.dispose()
    return _url(target)


def single_transaction_purge(db: Database, now: dt.datetime) -> dict[str, int]:
    """The purge as it was before batches: each rule one statement, one transaction."""
    c = Cutoffs(now=now, regular=now - PERIOD, training=now - DAY)
    counts: dict[str, int] = {}
    with db.session() as session:
        for name, model, where, values in retention._rules(c, now):
            result: Any = session.execute(retention._statement(model, where, values))
            counts[name] = int(result.rowcount)
        audit.record(session, "system", "retention.purge", "retention", "90 days", "bench")
    return counts


def _transactions(db: Database) -> list[float]:
    """Durations (ms) of every transaction ``db`` commits from now on."""
    durations: list[float] = []

    @event.listens_for(db.engine, "begin")
    def _begin(conn: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(db.engine, "commit")
    def _commit(conn: Any) -> None:
        durations.append((time.perf_counter() - conn.info.pop("bench_t0")) * 1000)

    return durations


def explain(db: Database, now: dt.datetime, single: bool) -> dict[str, dict[str, Any]]:
    """Each rule's statements under ``EXPLAIN (ANALYZE, BUFFERS)``, rolled back."""
    c = Cutoffs(now=now, regular=now - PERIOD, training=now - DAY)
    out: dict[str, dict[str, Any]] = {}
    for name, model, where, values in retention._rules(c, now):
        plans: dict[str, Any] = {}
        with db.engine.connect() as conn:
            if single:
                plans["statement"] = _plan(conn, retention._statement(model, where, values))
            else:
                query = select(model.id).where(where)
                plans["candidates"] = _plan(conn, query)
                ids = conn.execute(query.limit(retention.BATCH)).scalars().all()
                batch = retention._statement(model, model.id.in_(ids) & where, values)
                plans["first_batch"] = _plan(conn, batch) if ids else None
            conn.rollback()
        out[name] = plans
    return out


def _plan(conn: Any, statement: Any) -> dict[str, Any]:
    """Run ``statement`` as ``EXPLAIN (ANALYZE, BUFFERS)`` (SQLAlchemy still binds it)."""

    def prefix(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> Any:
        return "EXPLAIN (ANALYZE, BUFFERS) " + sql, params

    event.listen(conn, "before_cursor_execute", prefix, retval=True)
    try:
        lines = [row[0] for row in conn.execute(statement)]
    finally:
        event.remove(conn, "before_cursor_execute", prefix)
    total = next((x for x in lines if x.startswith("Execution Time")), "")
    scans = [x.strip().removeprefix("->").strip().split("  (")[0] for x in lines if "Scan" in x]
    return {"ms": float(total.split(":")[1].split()[0]) if total else None,
            "scans": scans, "plan": lines}  # fmt: skip


def measure(
    url: str, now: dt.datetime, *, single: bool, app: Any = None, plans: bool
) -> dict[str, Any]:
    """Dry run, then the purge as of ``now`` (live traffic beside it when ``app``)."""
    db = Database(url)
    out: dict[str, Any] = {"mode": "one transaction" if single else f"batches of {retention.BATCH}"}
    if plans:
        out["explain"] = explain(db, now, single)
    t0 = time.perf_counter()
    out["dry_run"] = retention.purge(db, now=now, older_than=PERIOD, dry_run=True).counts()
    out["dry_run_s"] = round(time.perf_counter() - t0, 2)
    durations = _transactions(db)
    live = None
    if app is not None:
        live = Live(app, "+22370000101")
        live.start()
        time.sleep(3)
    t0 = time.perf_counter()
    started = time.monotonic()
    if single:
        out["erased"] = single_transaction_purge(db, now)
    else:
        out["erased"] = retention.purge(db, now=now, older_than=PERIOD, dry_run=False).counts()
    out["purge_s"] = round(time.perf_counter() - t0, 2)
    out["transactions"] = len(durations)
    out["longest_transaction_ms"] = round(max(durations, default=0), 1)
    out["median_transaction_ms"] = round(statistics.median(durations or [0]), 1)
    if live is not None:
        live.purge_window = (started, time.monotonic())
        live.stop(after=3)
        out["live"] = live.summary()
        out["live"]["answered_to_erased"] = answered_to_erased(app)
    db.dispose()
    return out


def main() -> None:
    """Generate, measure, print, save; see the module doc."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=200_000)
    parser.add_argument("--compare", action="store_true", help="also the one-transaction purge")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine(), "alerts": args.alerts}
    names = [DB] + ([f"{DB}_single", f"{DB}_single_daily"] if args.compare else [])
    tmp = Path(tempfile.mkdtemp(prefix="relais-retention-"))
    redis = EmbeddedRedis(tmp).start()
    try:
        url = create_pg_database(DB)
        migrate.upgrade(url)
        now = utcnow()
        engine = create_engine(normalize_url(url))
        results["data"] = generate(engine, args.alerts, now)
        engine.dispose()
        keys = Fernet.generate_key().decode()
        app = make_app(url, redis.url, keys)
        seed(app, now - DAY)
        app.extensions["relais"].db.dispose()
        if args.compare:
            single_url = _copy(DB, names[1])
            single_app = make_app(single_url, redis.url, keys, directory=False)
            results["first_single"] = measure(single_url, now - DAY, single=True, app=single_app,
                                              plans=False)  # fmt: skip
            single_app.extensions["relais"].db.dispose()
        results["first"] = measure(url, now - DAY, single=False, app=app, plans=False)
        app.extensions["relais"].db.dispose()
        if args.compare:
            daily_url = _copy(DB, names[2])
            results["daily_single"] = measure(daily_url, now, single=True, plans=True)
        results["daily"] = measure(url, now, single=False, plans=True)
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            for name in names:
                drop_pg_database(name)
    _print(results)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"retention-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwritten to {path}")


def _print(results: dict[str, Any]) -> None:
    print(f"data: {results['data']}")
    for key in ("first_single", "first", "daily_single", "daily"):
        if key not in results:
            continue
        r = results[key]
        print(
            f"\n{key} ({r['mode']}): purge {r['purge_s']} s, dry run {r['dry_run_s']} s, "
            f"{r['transactions']} transactions, longest {r['longest_transaction_ms']} ms"
        )
        print(f"  erased: {r['erased']}")
        for name, plans in r.get("explain", {}).items():
            for what, plan in plans.items():
                if plan:
                    print(f"  {name} {what}: {plan['ms']} ms; {'; '.join(plan['scans'][:4])}")
        for kind, figures in r.get("live", {}).items():
            print(f"  live {kind}: {figures}")


if __name__ == "__main__":
    main()
