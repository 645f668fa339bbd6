"""CPU cost of one operation, measured in this process without a profiler.

``python -m bench.run --cost sms|final|ussd|send``: the web request of one
inbound SMS step (``final``: only the last answer of each alert, which
creates and routes the alert — what the end-to-end benchmark waits for) or
one USSD screen (Flask test client, no gunicorn), or one send job
(an in-process burst worker draining queued rows to the fake provider). CPU
time is this process's (``time.process_time``); the database and Redis
servers run elsewhere and are not counted. For ``send`` the fake provider
runs in this process too, so its share of each HTTP exchange is included.
The figure to compare between versions of the code is the CPU per operation;
it is far less noisy than throughput on a shared machine.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.profiling import _post
from bench.scenarios import conversation, conversations, seed_outbound, ussd_screens
from bench.stack import Stack

WARM_UP = 24


def cost(kind: str, backend: str = "sqlite", n: int = 600) -> dict[str, float]:
    """Milliseconds of CPU (and wall) per operation of ``kind``; printed and returned."""
    with Stack(backend, tmp=Path(tempfile.mkdtemp(prefix="relais-cost-"))) as stack:
        app = stack.app()
        if kind == "send":
            from gateway.worker import run_worker

            seed_outbound(stack, n)
            cpu, wall = time.process_time(), time.perf_counter()
            run_worker(app, burst=True, with_scheduler=False)
            done = n
        elif kind == "final":
            client = app.test_client()
            alerts = [conversation() for _ in range(n // 10 + WARM_UP)]
            with app.app_context():
                for reqs in alerts[:WARM_UP]:
                    for req in reqs:
                        _post(client, req)
                for reqs in alerts[WARM_UP:]:
                    for req in reqs[:-1]:
                        _post(client, req)
                cpu, wall = time.process_time(), time.perf_counter()
                for reqs in alerts[WARM_UP:]:
                    _post(client, reqs[-1])
            done = len(alerts) - WARM_UP
        else:
            client = app.test_client()
            reqs = conversations(n + WARM_UP) if kind == "sms" else ussd_screens(n + WARM_UP)
            with app.app_context():
                for req in reqs[:WARM_UP]:  # imports, pools, caches
                    _post(client, req)
                cpu, wall = time.process_time(), time.perf_counter()
                for req in reqs[WARM_UP:]:
                    _post(client, req)
            done = len(reqs) - WARM_UP
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    result = {"cpu_ms": round(1000 * cpu / done, 2), "wall_ms": round(1000 * wall / done, 2)}
    print(f"{kind} on {backend}: {result['cpu_ms']} ms CPU, {result['wall_ms']} ms wall each")
    return result
