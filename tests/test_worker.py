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
