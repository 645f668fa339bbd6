"""``relais worker --processes N``: several real worker processes, supervised.

A worker waits for the provider's answer of each send, so a slow provider is
what several processes are for: with a fake Twilio answering in 0.5 s, two
processes must send in parallel. A child that dies is started again; SIGTERM
stops every child; a supervisor killed with SIGKILL takes its children along.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Select, select

from gateway import runtime
from gateway.models import Contact, Message
from gateway.outbox import queue_outbound
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.faults.helpers import REPORTER, Procs, process_env, wait_for
from tests.processes import alive, children

pytestmark = pytest.mark.slow

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def start_pool(size: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    """A WorkerPool of ``size`` sleepers in its own process (it installs signal handlers)."""
    code = (
        "import sys; from gateway.worker_pool import WorkerPool; "
        f"sys.exit(WorkerPool({size}, {SLEEPER!r}, grace=5).run(poll=0.1))"
    )
    log = (tmp_path / "pool.log").open("wb")
    return subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_dead_child_is_restarted_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    pool = start_pool(2, tmp_path)
    try:
        assert wait_for(lambda: len(children(pool.pid)) == 2, 20)
        first = children(pool.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        assert wait_for(lambda: len(children(pool.pid) - {victim}) == 2, 20)
        assert len(children(pool.pid) | first) == 3  # one new process, the other kept
        kids = children(pool.pid)
        pool.send_signal(signal.SIGTERM)
        assert pool.wait(timeout=20) == 0
        assert wait_for(lambda: not any(alive(k) for k in kids), 10)
    finally:
        if pool.poll() is None:
            pool.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_children_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    pool = start_pool(2, tmp_path)
    assert wait_for(lambda: len(children(pool.pid)) == 2, 20)
    kids = children(pool.pid)
    pool.kill()
    pool.wait(timeout=10)
    assert wait_for(lambda: not any(alive(k) for k in kids), 10), kids


def test_two_processes_send_in_parallel_to_a_slow_provider(
    loop_app: Flask, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking, procs: Procs
) -> None:
    fake_twilio.default = fake_twilio.slow(0.5)
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, REPORTER)
        for n in range(8):
            queue_outbound(session, contact=contact, text=f"message {n}", channel="twilio")
    env = process_env(loop_app, fake_twilio, fake_at, WORKER_PROCESSES="2")
    procs.start("worker", env)

    def all_sent() -> bool:
        with runtime.current().db.session() as session:
            statuses = session.scalars(select_statuses()).all()
        return len(statuses) == 8 and set(statuses) == {"sent"}

    assert wait_for(all_sent, 60), procs.tail()
    assert len(fake_twilio.requests) == 8
    # One process would send them one after another, 0.5 s apart.
    assert overlapping(fake_twilio) >= 2, [r.at for r in fake_twilio.requests]


def select_statuses() -> Select[tuple[str]]:
    """Statuses of every outbound message."""
    return select(Message.status).where(Message.direction == "out")


def overlapping(fake: FakeTwilio) -> int:
    """The most sends the fake provider was answering at the same moment."""
    stamps = sorted(request.at for request in fake.requests)
    best = 0
    for i, t in enumerate(stamps):
        best = max(best, sum(1 for u in stamps[: i + 1] if t - u < 0.5))
    return best


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_the_scheduler_process_dies_with_a_killed_worker(
    loop_app: Flask, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking, procs: Procs
) -> None:
    # RQ's worker forks its scheduler and stops it with SIGTERM; a SIGKILLed
    # worker cannot, and the scheduler used to run on alone, for ever.
    worker = procs.start("worker", process_env(loop_app, fake_twilio, fake_at))
    assert wait_for(lambda: len(children(worker.pid)) == 1, 60), procs.tail()
    [scheduler] = children(worker.pid)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert wait_for(lambda: not alive(scheduler), 10), procs.tail()
    assert "Scheduler with PID" in procs.tail(20_000)  # it stopped as RQ stops it
