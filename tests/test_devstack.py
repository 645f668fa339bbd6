"""``make run`` (gateway.devstack): up on embedded defaults, and gone entirely on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from gateway.config import PROJECT_ROOT
from gateway.embedded_redis import EmbeddedRedis, free_port
from tests.faults.helpers import wait_for

pytestmark = pytest.mark.slow


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_run_starts_and_a_sigterm_stops_every_process(
    tmp_path: Path, redis_server: EmbeddedRedis
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RELAIS_ENV": "development",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'relais.db'}",
        "REDIS_URL": redis_server.url,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }
    log = (tmp_path / "devstack.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.devstack"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: we can see every child
    )
    try:
        assert wait_for(lambda: _ready(port), 120, 0.5), (tmp_path / "devstack.log").read_text()
        proc.send_signal(signal.SIGTERM)  # to make run's process only, as `kill` would
        proc.wait(timeout=60)
        assert wait_for(lambda: not _group_alive(proc.pid), 30), "web or worker left running"
        assert not _ready(port)
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
