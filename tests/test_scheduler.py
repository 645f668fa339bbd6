"""RelaisScheduler: RQ's scheduler process, tied to its worker's life.

The SIGKILLed-worker case runs real processes in
``tests/faults/test_worker_pool.py``; here, the race it leaves: a scheduler
forked just before its worker died finds itself an orphan and stops at once,
releasing its locks for the next worker's scheduler.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from redis import Redis

CODE = """
import os, sys
from redis import Redis
from rq import Queue
from gateway.scheduler import RelaisScheduler

connection = Redis.from_url(sys.argv[1])
scheduler = RelaisScheduler([Queue("high", connection=connection)], connection=connection)
scheduler.acquire_locks()
assert scheduler.acquired_locks == {"high"}, scheduler.acquired_locks
scheduler._worker_pid = os.getppid() + 1_000_000  # not our parent: the worker is gone
scheduler.work()  # would loop for ever if it did not notice
print("stopped", sorted(scheduler.acquired_locks))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_a_scheduler_whose_worker_already_died_stops_and_frees_its_lock(redis_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CODE, redis_url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("stopped []")
    assert not Redis.from_url(redis_url).keys("rq:scheduler-lock:*")
