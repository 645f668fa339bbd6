"""The worker's supervisor: waiting for Redis, and stopping when asked."""

from __future__ import annotations

import os
import signal
import threading

from gateway.embedded_redis import EmbeddedRedis, free_port
from gateway.worker import wait_for_redis


def test_wait_for_redis_returns_when_it_answers(redis_server: EmbeddedRedis) -> None:
    assert wait_for_redis(redis_server.url) is True


def test_a_sigterm_while_waiting_for_redis_stops_the_wait() -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    before = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        assert wait_for_redis(nobody, first_delay=0.1, max_delay=0.2) is False
    finally:
        timer.cancel()
    assert signal.getsignal(signal.SIGTERM) is before  # the previous handler is back


def test_heartbeats_on_their_own_are_pipelined_and_at_most_one_a_second(app) -> None:  # type: ignore[no-untyped-def]
    from gateway import queues, runtime
    from gateway.worker import RelaisWorker

    connection = runtime.current().redis
    worker = RelaisWorker(queues.all_queues(connection), connection=connection)
    worker.heartbeat()
    first = connection.hget(worker.key, "last_heartbeat")
    assert first and 0 < connection.ttl(worker.key) <= worker.worker_ttl + 60
    worker.heartbeat()  # within a second, no longer expiry: skipped
    assert connection.hget(worker.key, "last_heartbeat") == first
    connection.hset(worker.key, "last_heartbeat", "marker")
    worker.heartbeat(worker.worker_ttl + 600)  # asks for a longer expiry: sent
    assert connection.hget(worker.key, "last_heartbeat") != b"marker"
    assert connection.ttl(worker.key) > worker.worker_ttl + 60
    worker._beat_at -= 1.5  # a second later, any beat is sent again
    connection.hset(worker.key, "last_heartbeat", "marker")
    worker.heartbeat()
    assert connection.hget(worker.key, "last_heartbeat") != b"marker"
