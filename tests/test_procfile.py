"""The Procfile's lines run as they are: release, web (gunicorn) and worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect

from gateway import runtime
from gateway.config import PROJECT_ROOT
from gateway.embedded_redis import free_port
from gateway.models import Contact, Message
from gateway.outbox import queue_outbound
from gateway.procfile import commands
from tests.conftest import DATA_KEYS

pytestmark = pytest.mark.slow
BIN = str(Path(sys.executable).parent)


def _env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=BIN + os.pathsep + env.get("PATH", ""),
        RELAIS_ENV="test",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DATA_KEYS=DATA_KEYS,
        SECRET_KEY="test-secret-key",
        SMS_PROVIDER="sandbox",
        SWEEP_INTERVAL="1",
        # One process: these workers share the session's Redis with every later
        # test (tests/faults/test_worker_pool.py runs several, on purpose).
        WORKER_PROCESSES="1",
        **extra,
    )
    return env


def _start(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["bash", "-c", "exec " + commands()[name]],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def stop_later() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_procfile_has_release_web_and_worker() -> None:
    assert set(commands()) >= {"release", "web", "worker"}


def test_release_line_creates_the_schema(tmp_path: Path, redis_url: str) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = subprocess.run(
        ["bash", "-c", commands()["release"]],
        cwd=PROJECT_ROOT,
        env=_env(url, redis_url),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"contacts", "messages", "message_events", "alembic_version"} <= tables


def test_worker_line_sends_what_the_web_queued(app: Flask, stop_later) -> None:  # type: ignore[no-untyped-def]
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, "+22376123445")
        message_id = queue_outbound(session, contact=contact, text="Bonjour", channel="sandbox").id
    settings = rt.settings
    worker = _start("worker", _env(settings.DATABASE_URL, settings.REDIS_URL))
    stop_later.append(worker)
    deadline = time.monotonic() + 60
    status = "queued"
    while time.monotonic() < deadline and status != "sent":
        time.sleep(0.2)
        with rt.db.session() as session:
            status = session.get_one(Message, message_id).status
        assert worker.poll() is None, worker.stderr.read().decode()[-2000:] if worker.stderr else ""
    assert status == "sent"
    worker.terminate()
    assert worker.wait(timeout=30) == 0  # a warm shutdown on SIGTERM


def test_web_line_serves_readiness(app: Flask, stop_later) -> None:  # type: ignore[no-untyped-def]
    settings = runtime.current().settings
    port = free_port()
    web = _start(
        "web", _env(settings.DATABASE_URL, settings.REDIS_URL, PORT=str(port), WEB_CONCURRENCY="1")
    )
    stop_later.append(web)
    deadline = time.monotonic() + 60
    body = b""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                body = resp.read()
                break
        except OSError:
            assert web.poll() is None, web.stderr.read().decode()[-2000:] if web.stderr else ""
            time.sleep(0.2)
    assert b'"status":"ok"' in body.replace(b" ", b"")


def test_web_line_with_a_bad_setting_says_it_once_and_stops(tmp_path: Path, redis_url: str) -> None:
    """Before, each gunicorn worker printed a 35-line traceback around the one
    line an operator needs, and gunicorn went on respawning."""
    env = _env(f"sqlite:///{tmp_path / 'x.db'}", redis_url, PORT=str(free_port()))
    env.update(RELAIS_ENV="production", WEB_CONCURRENCY="2")  # nothing else set
    result = subprocess.run(
        ["bash", "-c", "exec " + commands()["web"]],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    stderr = result.stderr.decode()
    assert result.returncode != 0
    assert stderr.count("Relais cannot start") == 1 and "PUBLIC_BASE_URL" in stderr
    assert "Traceback" not in stderr
    # Checked in the master: with two workers failing, gunicorn itself used to
    # trip over the second one's exit while stopping and print a traceback.
    assert "Booting worker" not in stderr
