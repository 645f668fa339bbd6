"""``make run`` (gateway.devstack): up on embedded defaults, and gone entirely on SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from gateway.config import PROJECT_ROOT
from gateway.embedded_redis import EmbeddedRedis, free_port
from tests.faults.helpers import http_get, wait_for
from tests.processes import marked

pytestmark = pytest.mark.slow


def _ready(port: int) -> bool:
    return http_get(f"http://127.0.0.1:{port}", "/readyz") == 200


def _marked(mark: str) -> list[int]:
    """Pids of live processes started with ``RELAIS_TEST_MARK=mark``."""
    return marked("RELAIS_TEST_MARK", mark)


@pytest.mark.parametrize("stop", ["sigterm", "ctrl-c"])
def test_make_run_starts_and_stops_every_process(
    tmp_path: Path, redis_server: EmbeddedRedis, stop: str
) -> None:
    """SIGTERM reaches make run's process only (``kill``, a container stop);
    Ctrl-C reaches the terminal's whole process group."""
    port = free_port()
    mark = uuid.uuid4().hex
    env = {
        **os.environ,
        "RELAIS_TEST_MARK": mark,
        "RELAIS_ENV": "development",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'relais.db'}",
        "REDIS_URL": redis_server.url,
        "WORKER_PROCESSES": "1",  # the session's Redis is shared with later tests
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }
    log = (tmp_path / "devstack.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.devstack"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert wait_for(lambda: _ready(port), 120, 0.5), (tmp_path / "devstack.log").read_text()
        assert len(_marked(mark)) >= 3  # honcho, gunicorn and the worker at least
        if stop == "sigterm":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)  # its own session: the group is proc.pid
        proc.wait(timeout=60)
        assert wait_for(lambda: not _marked(mark), 30), "web or worker left running"
        assert not _ready(port)
    finally:
        for pid in _marked(mark):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()


def test_one_configuration_from_the_shell_and_dotenv(tmp_path: Path) -> None:
    """The shell wins over .env, .env fills the rest (honcho no longer reads it)."""
    from gateway.devstack import environment

    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=5079\nDATABASE_URL=sqlite:////tmp/from-dotenv.db\nEMPTY=\n# note\n")
    env = environment({"PORT": "5078", "PATH": "/bin"}, dotenv)
    assert env["PORT"] == "5078" and env["PATH"] == "/bin"
    assert env["DATABASE_URL"] == "sqlite:////tmp/from-dotenv.db" and "EMPTY" not in env
    assert environment({"A": "1"}, tmp_path / "missing.env") == {"A": "1"}


def test_a_bad_setting_is_one_message_not_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.devstack"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RELAIS_ENV": "development", "WORKER_PROCESSES": "abc"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "WORKER_PROCESSES must be a whole number" in result.stderr
    assert "Traceback" not in result.stderr
