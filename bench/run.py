"""Run the benchmarks: ``python -m bench.run [--only inbound,ussd,e2e,outbound,scale] ...``.

Each benchmark prints a table and writes JSON to ``bench/results/``. The HTTP
benchmarks run on SQLite and on PostgreSQL (``relais_bench``, created on the
machine's PostgreSQL and dropped afterwards; skipped with a message when it
does not answer). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Any

from bench import report, scale, scenarios
from bench.stack import Stack, machine, postgres_available

ALL = ("inbound", "ussd", "e2e", "outbound", "scale")
TARGETS = {
    "inbound_ratio": 0.5,  # ≥ half the ceiling's throughput
    "inbound_paced_p99_ms": 100,  # at 200 rps
    "ussd_p99_ms": 200,  # at 100 concurrent sessions
    "e2e_median_s": 1.0,
    "e2e_p99_s": 3.0,
    "scale_ms": 1000,
}


def http_benchmarks(backend: str, only: set[str], quick: bool) -> dict[str, Any]:
    """inbound, ussd, e2e, outbound on one database backend."""
    out: dict[str, Any] = {}
    with Stack(backend) as stack:
        try:
            if only & {"inbound", "ussd", "e2e"}:
                relais = stack.web()
                ceiling = stack.web("bench.ceiling:create_app()") if "inbound" in only else ""
                # The Procfile's worker line as deployed: WORKER_PROCESSES=2.
                stack.workers(1, WORKER_PROCESSES=os.environ.get("BENCH_WORKER_PROCESSES", "2"))
                if "inbound" in only:
                    rows = scenarios.inbound(
                        stack,
                        relais,
                        ceiling,
                        requests=300 if quick else 1200,
                        paced_seconds=5 if quick else 10,
                    )
                    out["inbound"] = _inbound_verdict(rows)
                    report.table(
                        f"Inbound SMS webhooks ({backend}) vs bare signature check",
                        rows,
                        [
                            "app",
                            "mode",
                            "requests",
                            "errors",
                            "rps",
                            "p50_ms",
                            "p95_ms",
                            "p99_ms",
                            "max_ms",
                        ],
                    )
                if "ussd" in only:
                    rows = scenarios.ussd(stack, relais, max_seconds=10 if quick else 20)
                    out["ussd"] = {"rows": rows, "target_p99_ms": TARGETS["ussd_p99_ms"]}
                    report.table(
                        f"USSD, 100 concurrent sessions ({backend})",
                        rows,
                        [
                            "sessions",
                            "think_s",
                            "pauses",
                            "requests",
                            "errors",
                            "rps",
                            "p50_ms",
                            "p95_ms",
                            "p99_ms",
                            "max_ms",
                        ],
                    )
                if "e2e" in only:
                    row = scenarios.end_to_end(stack, relais)
                    out["e2e"] = row
                    report.table(
                        f"End to end: last answer → referral SMS, 50 reporters ({backend})",
                        [row],
                        list(row),
                    )
                stack.stop_processes()
            if "outbound" in only:
                rows = scenarios.outbound(stack, messages=500 if quick else 1500)
                out["outbound"] = rows
                report.table(f"Outbound sends, SEND_RATE=0 ({backend})", rows, list(rows[0]))
        except Exception:
            print(stack.log_tail(), file=sys.stderr)
            raise
    return out


def _inbound_verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by = {(r["app"], r["mode"]): r for r in rows}
    ratios = {}
    for (app, mode), row in by.items():
        if app == "relais" and mode.startswith("closed"):
            ceiling = by[("ceiling", mode)]["rps"]
            ratios[mode] = round(row["rps"] / ceiling, 2) if ceiling else None
    paced = next(r for r in rows if r["app"] == "relais" and r["mode"].startswith("open"))
    return {
        "rows": rows,
        "throughput_ratio_vs_ceiling": ratios,
        "paced_p99_ms": paced["p99_ms"],
        "targets": {
            "ratio": TARGETS["inbound_ratio"],
            "paced_p99_ms": TARGETS["inbound_paced_p99_ms"],
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run what was asked, write JSON; non-zero only when a run failed."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}"
    )
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument(
        "--scale-rows", type=int, default=1_000_000, help="alerts generated for 'scale'"
    )
    parser.add_argument(
        "--profile", choices=["sms", "ussd"], help="profile one web request kind instead"
    )
    parser.add_argument(
        "--cost",
        choices=["sms", "final", "ussd", "send"],
        help="CPU per operation instead (no profiler)",
    )
    args = parser.parse_args(argv)
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    unknown = only - set(ALL)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    backends = [b.strip() for b in args.db.split(",") if b.strip()]
    pg_problem = postgres_available()
    if "postgresql" in backends and pg_problem:
        print(f"PostgreSQL at 127.0.0.1:5432 does not answer ({pg_problem}): skipping it.")
        backends.remove("postgresql")

    if args.cost:
        from bench.cost import cost

        for backend in backends:
            cost(args.cost, backend)
        return 0

    if args.profile:
        from bench.profiling import profile

        for backend in backends:
            profile(args.profile, backend)
        return 0

    info = machine()
    print(f"Machine: {info}")
    results: dict[str, Any] = {"machine": info, "targets": TARGETS}
    failed = False
    for backend in backends:
        if only & {"inbound", "ussd", "e2e", "outbound"}:
            try:
                results[backend] = http_benchmarks(backend, only, args.quick)
            except Exception:
                traceback.print_exc()
                failed = True
    if "scale" in only:
        if pg_problem:
            print("scale: PostgreSQL unavailable, skipped.")
        else:
            data = scale.run(args.scale_rows)
            results["scale"] = data
            report.table(
                f"Reports and case list, {data['alerts']:,} alerts (PostgreSQL)",
                data["rows"],
                ["query", "ms_now", "ms_with_indexes", "plan_now", "plan_with_indexes"],
            )
    results["machine_at_end"] = machine()
    report.write("bench", results)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
