"""Several worker processes under one ``relais worker`` command.

A worker process sends one message at a time and waits for the provider's
answer: with an API 200 ms away, one process sends about 5 SMS a second
whatever the CPU (``docs/benchmarks.md``, outbound). ``WORKER_PROCESSES``
(or ``relais worker --processes N``) starts N single workers and supervises
them, so the Procfile's one ``worker`` line is enough for a deployment:

- each child is ``python -m gateway worker --processes 1`` with the same
  environment; on Linux it dies with the supervisor (``PR_SET_PDEATHSIG``), so
  a supervisor killed with SIGKILL leaves no orphan sending on its own;
- a child that exits while nobody asked is started again (back-off 1 s to
  30 s, logged), so one crash does not quietly halve the sending capacity;
- SIGTERM/SIGINT is passed on to every child (RQ's warm shutdown: the job in
  hand finishes), then whatever still runs after ``grace`` seconds is killed.

RQ's scheduler and the sweeper already coordinate through Redis locks, so
every child may run them.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

from gateway.logs import get_logger

log = get_logger(__name__)
PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies.

    Returns False where it is not available (not Linux). The setting is not
    inherited by children a process forks later: each one asks for itself.
    """
    if not sys.platform.startswith("linux"):
        return False
    result: int = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
    return result == 0


def child_command(extra: list[str] | None = None) -> list[str]:
    """The command line of one single-process worker."""
    return [sys.executable, "-m", "gateway", "worker", "--processes", "1", *(extra or [])]


class WorkerPool:
    """``size`` worker processes, restarted when they die, stopped together."""

    def __init__(self, size: int, command: list[str], *, grace: float = 60.0) -> None:
        """Prepare (not start) ``size`` copies of ``command``."""
        self.size = size
        self.command = command
        self.grace = grace
        self.stopping = threading.Event()
        self.children: list[subprocess.Popen[bytes] | None] = [None] * size

    def _start(self, slot: int) -> None:
        # preexec_fn is unsafe with threads in the parent; the supervisor has none.
        child = subprocess.Popen(self.command, preexec_fn=die_with_parent)  # noqa: S603
        self.children[slot] = child
        log.info("worker_started", slot=slot, pid=child.pid)

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()

    def run(self, poll: float = 0.5) -> int:
        """Start every child and supervise until SIGTERM/SIGINT; returns the exit code."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        delays = [1.0] * self.size
        due = [0.0] * self.size
        try:
            for slot in range(self.size):
                self._start(slot)
            while not self.stopping.wait(poll):
                now = time.monotonic()
                for slot, child in enumerate(self.children):
                    if child is not None and child.poll() is None:
                        continue
                    if child is not None:  # just found dead: restart after a pause
                        log.error("worker_exited", slot=slot, code=child.returncode)
                        self.children[slot] = None
                        due[slot] = now + delays[slot]
                        delays[slot] = min(delays[slot] * 2, 30.0)
                    elif now >= due[slot]:
                        self._start(slot)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def stop(self) -> None:
        """SIGTERM every child, wait up to ``grace`` seconds, then SIGKILL the rest."""
        live = [c for c in self.children if c is not None and c.poll() is None]
        for child in live:
            child.terminate()
        deadline = time.monotonic() + self.grace
        for child in live:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("worker_killed", pid=child.pid, reason="still running after grace")
                child.kill()
                child.wait()
