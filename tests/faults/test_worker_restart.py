"""The worker process survives Redis going away while it runs a job.

RQ's work loop quits on a Redis error raised outside its blocking dequeue —
for instance when it records a finished job's status and Redis is gone. The
process exited with status 0, so nothing restarted it and every later reply
and referral waited for an operator. ``relais worker`` now waits for Redis
and starts a new work loop instead.
"""

from __future__ import annotations

import time

import pytest
from flask import Flask
from redis import Redis

from gateway import queues
from gateway.embedded_redis import EmbeddedRedis
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.faults.helpers import Procs, process_env, wait_for

pytestmark = pytest.mark.slow


def _status(client: Redis, job_id: str) -> str | None:
    # One client for every poll (not a new connection pool ten times a second).
    try:
        job = queues.queue("default", client).fetch_job(job_id)
    except Exception:  # Redis away: no status yet
        return None
    return None if job is None else job.get_status(refresh=True).value


def test_worker_restarts_its_loop_after_redis_vanishes_mid_job(
    loop_app: Flask,
    redis_server: EmbeddedRedis,
    fake_twilio: FakeTwilio,
    fake_at: FakeAfricasTalking,
    procs: Procs,
) -> None:
    worker = procs.start("worker", process_env(loop_app, fake_twilio, fake_at))
    url = loop_app.extensions["relais"].settings.REDIS_URL
    client = Redis.from_url(url)
    # Enqueue once the worker listens, so the job is the one it takes first.
    assert wait_for(lambda: "Listening on" in procs.tail(100_000), 60), procs.tail()
    queues.queue("default", client).enqueue(time.sleep, 3, job_id="slow")
    assert wait_for(lambda: _status(client, "slow") == "started", 60), procs.tail(100_000)

    redis_server.stop()  # the job ends while Redis is away
    try:
        assert wait_for(lambda: "worker_restarting" in procs.tail(100_000), 30), procs.tail()
        assert worker.poll() is None, procs.tail()  # waiting for Redis, not gone
    finally:
        redis_server.start()

    client = Redis.from_url(url)  # Redis restarted: a fresh client
    queues.queue("default", client).enqueue(time.sleep, 0, job_id="after")
    assert wait_for(lambda: _status(client, "after") == "finished", 60), procs.tail()
    assert worker.poll() is None, procs.tail()
