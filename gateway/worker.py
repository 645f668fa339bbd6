"""The RQ worker: jobs by priority, the scheduler, and the sweeper.

``RelaisWorker`` is RQ's ``SimpleWorker`` (jobs run in the worker process,
inside the Flask app context, reusing database and HTTP connections — jobs are
short and have their own timeouts) with two additions: every job's id is bound
to the log context, and the sweeper runs as one of the worker's periodic
maintenance tasks, so recovering lost jobs needs no extra process. A Redis lock
keeps several workers from sweeping at the same moment. The sweep also
enqueues the retention purge once a day. ``run_worker`` supervises RQ's work
loop: when a Redis error ends it, it waits for Redis and starts it again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import threading
import time
from types import FrameType
from typing import Any

import structlog
from flask import Flask
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT

from gateway import queues, runtime
from gateway.logs import get_logger
from gateway.scheduler import RelaisScheduler
from gateway.sweeper import SweepReport, sweep

log = get_logger(__name__)
SWEEP_LOCK = "relais:sweeper:lock"
PURGE_MARK = "relais:retention:scheduled"
DAY = 24 * 3600


class RelaisWorker(SimpleWorker):
    """A SimpleWorker that logs job ids and runs the sweeper periodically."""

    sweep_interval: int = 30
    stop_requested: bool = False  # set by SIGTERM/SIGINT, unlike a crash
    _beat_at: float = 0.0  # monotonic time of the last heartbeat we sent alone
    _beat_ttl: int = 0

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's heartbeat, at most once a second when sent on its own.

        RQ calls it at several points of every job, each time as two Redis
        round trips (HSET, EXPIRE) — a quarter of a short job's Redis traffic.
        A beat within a second of one that set an expiry at least as long
        changes nothing that matters (the worker key lives for minutes), so it
        is skipped; the others go as one pipeline. Beats that ride in RQ's
        own pipelines are left alone.
        """
        if pipeline is not None:
            super().heartbeat(timeout, pipeline=pipeline)
            return
        ttl = timeout or self.worker_ttl + 60
        now = time.monotonic()
        if now - self._beat_at < 1.0 and ttl <= self._beat_ttl:
            return
        with self.connection.pipeline() as pipe:
            super().heartbeat(timeout, pipeline=pipe)
            pipe.execute()
        self._beat_at, self._beat_ttl = now, ttl

    def request_stop(self, signum: Any, frame: Any) -> None:
        """Warm shutdown on a signal; remembered so the supervisor does not restart."""
        self.stop_requested = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    @property
    def dequeue_timeout(self) -> int:
        """Wake up at least once per sweep interval even when idle."""
        return max(1, min(self.worker_ttl - 15, self.sweep_interval))

    def perform_job(self, job: Any, queue: Any) -> bool:
        """Run ``job`` with its id in every log record it writes."""
        with structlog.contextvars.bound_contextvars(job_id=job.id):
            return bool(super().perform_job(job, queue))

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """RQ's own, with a scheduler that dies with this worker (:mod:`gateway.scheduler`).

        A copy of rq 2.12's ``BaseWorker._start_scheduler`` (pinned in
        requirements.txt) but for the class: compare it when upgrading RQ.
        ``tests/faults/test_worker_pool.py`` fails if the scheduler no longer
        dies with a SIGKILLed worker.
        """
        self.scheduler = RelaisScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()  # type: ignore[no-untyped-call]
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
                finally:
                    self.scheduler.release_locks()  # type: ignore[no-untyped-call]
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

    def run_maintenance_tasks(self) -> None:
        """RQ's own maintenance, then a sweep (at most one worker at a time)."""
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        run_sweep_if_free(self.connection)


def sweep_now(connection: Any, *, wait: float = 0) -> SweepReport | None:
    """One sweep with the configured delays, under the lock the workers share.

    None when another process holds the lock (after waiting up to ``wait``
    seconds): two sweeps at once could both requeue the same message.
    """
    rt = runtime.current()
    lock = connection.lock(SWEEP_LOCK, timeout=max(rt.settings.SWEEP_INTERVAL, 10))
    if not lock.acquire(blocking=wait > 0, blocking_timeout=wait or None):
        return None
    try:
        return sweep(
            rt.db,
            rt.redis,
            grace=dt.timedelta(seconds=rt.settings.SWEEP_GRACE),
            stuck_after=dt.timedelta(seconds=rt.settings.SEND_STUCK_AFTER),
        )
    finally:
        # The lock may have expired or Redis gone away; nothing to undo then.
        with contextlib.suppress(Exception):
            lock.release()


def run_sweep_if_free(connection: Any) -> bool:
    """Sweep unless another worker holds the lock; returns whether it swept."""
    try:
        if sweep_now(connection) is None:
            return False
        schedule_daily_purge(connection)
    except Exception as exc:  # keep the worker alive; next interval tries again
        log.error("sweep_failed", error=type(exc).__name__)
    return True


def schedule_daily_purge(connection: Any) -> bool:
    """Enqueue the retention purge at most once a day (across all workers)."""
    if not connection.set(PURGE_MARK, "1", nx=True, ex=DAY):
        return False
    from gateway.retention import purge_job

    queues.queue("low", connection).enqueue(
        purge_job, job_id="retention-purge", job_timeout=3600, failure_ttl=7 * DAY
    )
    return True


def run_worker(app: Flask, *, burst: bool = False, with_scheduler: bool = True) -> bool:
    """Work on every queue, highest priority first, inside ``app``'s context.

    RQ's work loop quits on any Redis error it meets outside its blocking
    dequeue (updating a finished job's status, a heartbeat, a maintenance
    task). A worker that exits because Redis blinked would leave every reply
    and referral waiting for an operator, so unless it was asked to stop (a
    signal) or runs in burst mode, we wait for Redis and start a new one.
    """
    with app.app_context():
        rt = runtime.current()
        worked = False
        while True:
            # The worker's connection must outlast RQ's blocking dequeue.
            connection = queues.connect(rt.settings.REDIS_URL, socket_timeout=None)
            worker = RelaisWorker(
                queues.all_queues(connection),
                connection=connection,
                maintenance_interval=rt.settings.SWEEP_INTERVAL,
                log_job_description=False,
            )
            worker.sweep_interval = rt.settings.SWEEP_INTERVAL
            try:
                worked |= bool(
                    worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=None)
                )
            except RedisError as exc:  # raised by the teardown when Redis is gone
                log.error("worker_redis_error", error=type(exc).__name__)
            if burst or worker.stop_requested:
                return worked
            log.error("worker_restarting", reason="the work loop quit on an error")
            if not wait_for_redis(rt.settings.REDIS_URL):
                return worked


def wait_for_redis(url: str, *, first_delay: float = 1.0, max_delay: float = 30.0) -> bool:
    """Block until Redis answers (True) or SIGTERM/SIGINT arrives (False)."""
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    delay = first_delay
    redis = queues.connect(url)
    try:
        while not stop.is_set():
            try:
                redis.ping()
                return True
            except RedisError:
                log.warning("redis_unavailable", retry_in=delay)
            stop.wait(delay)
            delay = min(delay * 2, max_delay)
        return False
    finally:
        redis.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
