"""Helpers of the fault tests: real processes from the Procfile, signed HTTP, the demo loop.

Processes are started exactly as production starts them (the Procfile's lines
through ``bash -c``), with the test's database, Redis and fake providers in
their environment. Their logs go to files under the test's ``tmp_path`` so a
failing assertion can show them (a pipe nobody reads would block gunicorn).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from twilio.request_validator import RequestValidator

from gateway.config import PROJECT_ROOT
from gateway.embedded_redis import free_port
from gateway.procfile import commands
from tests.conftest import AT_TOKEN, DATA_KEYS, TWILIO_SID, TWILIO_TOKEN
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.support import PUBLIC

BIN = str(Path(sys.executable).parent)
DIRECTORY = PROJECT_ROOT / "examples" / "bamako-directory.yaml"
REPORTER = "+22376123445"
IOM_BM = "+22366000102"  # the demo directory's focal point for Commune V, separated children
# fr, separated, Commune V, landmark, 2 children, girl, 5-11, danger yes,
# skip details, call back yes, SMS updates yes: routed to IOM (iom-bko-bm).
ANSWERS = ["1", "1", "5", "Marché Badalabougou", "2", "fille", "2", "oui", "0", "oui", "oui"]
_sids = itertools.count(1)


def new_sid() -> str:
    """A Twilio message sid no other test uses."""
    return f"SM{os.getpid():08d}{next(_sids):024d}"


def wait_for(predicate: Callable[[], object], timeout: float = 60, every: float = 0.1) -> bool:
    """Poll ``predicate`` until it is truthy; False when ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def process_env(
    app: Flask, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking, **extra: str
) -> dict[str, str]:
    """The environment of a web or worker process sharing ``app``'s database and Redis."""
    settings = app.extensions["relais"].settings
    env = dict(os.environ)
    env.update(
        PATH=BIN + os.pathsep + env.get("PATH", ""),
        RELAIS_ENV="test",
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        DATA_KEYS=DATA_KEYS,
        SECRET_KEY="test-secret-key",
        PUBLIC_BASE_URL=PUBLIC,
        SMS_PROVIDER=settings.SMS_PROVIDER,
        SMS_FALLBACK_PROVIDER=settings.SMS_FALLBACK_PROVIDER,
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        TWILIO_FROM="+22365123456",
        TWILIO_API_BASE_URL=fake_twilio.url,
        AT_USERNAME="relais",
        AT_API_KEY="test-at-api-key",
        AT_API_BASE_URL=fake_at.url,
        AT_WEBHOOK_TOKEN=AT_TOKEN,
        SWEEP_INTERVAL="1",
        SWEEP_GRACE="0",
        SEND_RATE="0",
        SEND_TIMEOUT=str(settings.SEND_TIMEOUT),
        SEND_RETRY_DELAYS=settings.SEND_RETRY_DELAYS,
        WEBHOOK_IP_LIMIT="0",  # every request comes from 127.0.0.1 here
        # One process per `worker` line: the tests kill "the worker" and count
        # what was in flight (tests/faults/test_worker_pool.py runs several).
        WORKER_PROCESSES="1",
    )
    env.update(extra)
    return env


@dataclass
class Procs:
    """Processes started by a test, stopped (SIGTERM, then SIGKILL) at its end."""

    logs: Path
    started: list[tuple[str, subprocess.Popen[bytes], Path]] = field(default_factory=list)

    def start(self, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Run the Procfile's ``name`` line; its stderr goes to a log file."""
        log = self.logs / f"{name}-{len(self.started)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                ["bash", "-c", "exec " + commands()[name]],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append((name, proc, log))
        return proc

    def web(self, env: dict[str, str], **extra: str) -> str:
        """Start gunicorn from the Procfile and wait for /healthz; returns its base URL."""
        port = free_port()
        proc = self.start("web", {**env, "PORT": str(port), **extra})
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert proc.poll() is None, self.tail()
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:  # noqa: S310
                    return bool(resp.status == 200)
            except OSError:
                return False

        assert wait_for(up, 60, 0.1), "gunicorn never answered /healthz\n" + self.tail()
        return base

    def tail(self, chars: int = 3000) -> str:
        """The end of every process log, for assertion messages."""
        parts = []
        for name, proc, log in self.started:
            text = log.read_text(errors="replace")[-chars:] if log.exists() else ""
            parts.append(f"--- {name} (pid {proc.pid}, rc {proc.poll()}) ---\n{text}")
        return "\n".join(parts)

    def stop_all(self) -> None:
        """Stop what is still running (warm shutdown first)."""
        for _name, proc, _log in self.started:
            if proc.poll() is None:
                proc.terminate()
        for _name, proc, _log in self.started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def sign(path: str, form: dict[str, str]) -> str:
    """The X-Twilio-Signature of ``form`` posted to ``PUBLIC`` + ``path``."""
    return str(RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, form))


def http_post(
    base: str, path: str, form: dict[str, str], headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """POST a form over real HTTP; (status, body) even for error statuses."""
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers or {}, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def post_twilio_http(base: str, form: dict[str, str]) -> tuple[int, str]:
    """A signed inbound SMS to a real web process."""
    path = "/webhooks/twilio/sms"
    return http_post(base, path, form, {"X-Twilio-Signature": sign(path, form)})


def http_get(base: str, path: str) -> int:
    """The status of a GET (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(base + path, timeout=10) as resp:  # noqa: S310
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def texts_to(fake: FakeTwilio | FakeAfricasTalking, number: str) -> list[str]:
    """Bodies the fake provider received for ``number`` (Twilio or AT form fields)."""
    out = []
    for request in fake.requests:
        to = request.form.get("To") or request.form.get("to")
        if to == number:
            out.append(request.form.get("Body") or request.form.get("message") or "")
    return out
