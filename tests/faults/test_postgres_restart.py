"""PostgreSQL restarts under a running web process: 503 while away, then back alone.

The machine's shared PostgreSQL is never touched: the test runs a private
cluster (``initdb`` into a temporary directory, started with ``pg_ctl`` as the
``postgres`` user on a free port) and stops and starts that one.
"""

from __future__ import annotations

import contextlib
import glob
import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from gateway import create_app, migrate
from gateway.embedded_redis import free_port
from gateway.models import Message
from tests.conftest import make_config
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.faults.helpers import (
    REPORTER,
    Procs,
    http_get,
    new_sid,
    post_twilio_http,
    process_env,
    wait_for,
)
from tests.support import count, twilio_sms

pytestmark = pytest.mark.slow


@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL cluster owned by the ``postgres`` OS user."""

    bin: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            log = self.root / "postgres.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {result.stderr.decode()[-2000:]}\n{tail}")

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "postgres.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A private cluster on a free port, migrated to head; removed afterwards."""
    pg_bin = _postgres_bin()
    if pg_bin is None or not (pg_bin / "initdb").exists():
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin/")
    if shutil.which("runuser") is None:
        pytest.skip("runuser not found: cannot run a private cluster as the postgres user")
    root = Path(tempfile.mkdtemp(prefix="relais-pg-"))
    try:
        shutil.chown(root, "postgres", "postgres")
    except (LookupError, PermissionError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"cannot hand a directory to the postgres user: {exc}")
    cluster = PrivatePostgres(pg_bin, root, free_port())
    try:
        cluster.init()
        cluster.start()
        migrate.upgrade(cluster.url)
        yield cluster
    finally:
        with contextlib.suppress(Exception):  # already stopped, or never started
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_app(
    private_postgres: PrivatePostgres,
    redis_url: str,
    fake_twilio: FakeTwilio,
    fake_at: FakeAfricasTalking,
) -> Iterator[Flask]:
    config = make_config(
        private_postgres.url,
        redis_url,
        TWILIO_API_BASE_URL=fake_twilio.url,
        AT_API_BASE_URL=fake_at.url,
    )
    app = create_app(config)
    with app.app_context():
        yield app
    app.extensions["relais"].db.dispose()


def _ready(base: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=10) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_postgres_restart_gives_503_then_recovers_without_manual_action(
    pg_app: Flask,
    private_postgres: PrivatePostgres,
    fake_twilio: FakeTwilio,
    fake_at: FakeAfricasTalking,
    procs: Procs,
) -> None:
    base = procs.web(
        process_env(pg_app, fake_twilio, fake_at), WEB_CONCURRENCY="2", WEB_THREADS="4"
    )
    assert _ready(base)[0] == 200
    # Warm every pooled connection in both gunicorn workers.
    for _ in range(8):
        status, _ = post_twilio_http(base, twilio_sms(new_sid(), REPORTER, "Bonjour"))
        assert status == 200, procs.tail()

    private_postgres.stop()
    try:
        status, body = _ready(base)
        assert status == 503 and body.get("failed") == ["database"], body
        during = twilio_sms(new_sid(), REPORTER, "1")
        status, _ = post_twilio_http(base, during)
        assert status >= 500, "a message that could not be stored must not be acknowledged"
        assert http_get(base, "/healthz") == 200  # the process itself stays up
    finally:
        private_postgres.start()

    assert wait_for(lambda: _ready(base)[0] == 200, 30), procs.tail()
    statuses = [post_twilio_http(base, during)[0]]  # the provider's retry
    for _ in range(8):  # enough requests to meet every stale pooled connection
        statuses.append(post_twilio_http(base, twilio_sms(new_sid(), REPORTER, "1"))[0])
    assert statuses == [200] * 9, procs.tail()
    assert count(Message, Message.direction == "in") == 8 + 9
    assert (
        count(Message, Message.direction == "in", Message.provider_id == during["MessageSid"]) == 1
    )
