"""RQ's scheduler process, tied to the worker that forked it.

RQ's worker forks a scheduler process (it moves delayed jobs — send retries,
escalations, reminders — to their queues when they are due) that loops until
it receives SIGTERM from the worker. A worker that is SIGKILLed (the OOM
killer, a supervisor's last resort) cannot send it: the scheduler was left
running on its own, an orphan holding the scheduler locks, outliving ``relais
worker`` and every restart of it. :class:`RelaisScheduler` asks Linux to send
it SIGTERM when its worker dies (``PR_SET_PDEATHSIG``), which stops it as the
worker would have: locks released, death registered.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from rq.scheduler import RQScheduler

from gateway.logs import get_logger
from gateway.worker_pool import die_with_parent

log = get_logger(__name__)


class RelaisScheduler(RQScheduler):
    """RQ's scheduler, stopped when the worker process that started it dies."""

    _worker_pid: int | None = None

    def start(self) -> Any:
        """Fork the scheduler process (RQ's), remembering which process is its worker."""
        self._worker_pid = os.getpid()
        return super().start()  # type: ignore[no-untyped-call]

    def work(self) -> None:
        """The scheduler loop (RQ's), once tied to the worker's life."""
        die_with_parent(signal.SIGTERM)
        if self._worker_pid is not None and os.getppid() != self._worker_pid:
            # The worker died between the fork and the tie: nobody to serve.
            log.warning("scheduler_orphaned_at_start")
            self.release_locks()  # type: ignore[no-untyped-call]
            return
        super().work()  # type: ignore[no-untyped-call]
