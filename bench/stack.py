"""The real stack for a benchmark run: Redis, a database, fake providers, Procfile processes.

* Redis: a private :class:`~gateway.embedded_redis.EmbeddedRedis` (no persistence).
* Database: a SQLite file in a temporary directory, or ``relais_bench`` created
  on the machine's PostgreSQL (``BENCH_PG_ADMIN_URL``, default
  ``postgresql://postgres@127.0.0.1:5432/postgres``) and dropped afterwards.
* Providers: :class:`tests.fakes.providers.FakeTwilio` /
  :class:`~tests.fakes.providers.FakeAfricasTalking` in this process, which also
  stamp each request's arrival time (for end-to-end latency and send rates).
* Processes: the Procfile's ``web`` (gunicorn) and ``worker`` lines, run as
  production runs them (``RELAIS_ENV=production``), logs to files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from gateway import migrate
from gateway.config import PROJECT_ROOT
from gateway.db import normalize_url
from gateway.embedded_redis import EmbeddedRedis, free_port
from gateway.procfile import commands
from gateway.queues import QUEUE_NAMES
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio, RecordedRequest, Reply

BIN = str(Path(sys.executable).parent)
DIRECTORY = PROJECT_ROOT / "examples" / "bamako-directory.yaml"
PUBLIC = "https://relais.example.org"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "bench-twilio-auth-token"  # noqa: S105 - a fake's token
AT_TOKEN = "bench-at-webhook-token"  # noqa: S105
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class Stamped:
    """Mixin: remember (arrival time, To, Body) of every request, cheaply."""

    arrivals: list[tuple[float, str, str]]

    def _route(self, request: RecordedRequest) -> Reply | None:
        form = request.form
        to = form.get("To") or form.get("to") or ""
        body = form.get("Body") or form.get("message") or ""
        self.arrivals.append((time.monotonic(), to, body))
        return super()._route(request)  # type: ignore[misc]


class StampedTwilio(Stamped, FakeTwilio):
    """FakeTwilio with arrival times."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals = []


class StampedAT(Stamped, FakeAfricasTalking):
    """FakeAfricasTalking with arrival times."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals = []


def postgres_available(admin_url: str = PG_ADMIN_URL) -> str | None:
    """None when the machine's PostgreSQL answers; else why not."""
    try:
        engine = create_engine(normalize_url(admin_url), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"


def create_pg_database(name: str, admin_url: str = PG_ADMIN_URL) -> str:
    """(Re)create database ``name`` on the admin server; returns its URL."""
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(name: str, admin_url: str = PG_ADMIN_URL) -> None:
    """Drop database ``name`` (terminating its connections)."""
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def production_settings(
    database_url: str, redis_url: str, twilio_url: str, at_url: str, data_keys: str
) -> dict[str, str]:
    """The settings every process of a stack runs with: production, on loopback.

    Production so that the benchmark measures what a deployment runs; the
    values must pass :func:`gateway.config.validate` (tests/test_bench_stack.py).
    """
    return dict(
        RELAIS_ENV="production",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="bench-secret-key-for-loopback-runs-only",  # noqa: S106 - >= 32 characters
        DATA_KEYS=data_keys,
        PUBLIC_BASE_URL=PUBLIC,
        SMS_PROVIDER="twilio",
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        TWILIO_FROM="+22365123456",
        TWILIO_API_BASE_URL=twilio_url,
        AT_USERNAME="relais",
        AT_API_KEY="bench-at-api-key",
        AT_API_BASE_URL=at_url,
        AT_WEBHOOK_TOKEN=AT_TOKEN,
        # Every bench request comes from 127.0.0.1: a per-IP limit would
        # measure the limiter, not Relais.
        WEBHOOK_IP_LIMIT="0",
        SEND_RATE="0",
        LOG_LEVEL="INFO",
    )


@dataclass
class Stack:
    """Everything one benchmark run talks to; use as a context manager."""

    backend: str  # "sqlite" or "postgresql"
    settings: dict[str, str] = field(default_factory=dict)
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="relais-bench-")))
    redis: EmbeddedRedis | None = None
    twilio: StampedTwilio | None = None
    at: StampedAT | None = None
    database_url: str = ""
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    data_keys: str = field(default_factory=lambda: Fernet.generate_key().decode())
    _app: Any = None

    # -- lifecycle -------------------------------------------------------
    def __enter__(self) -> Stack:
        self.redis = EmbeddedRedis(self.tmp / "redis").start()
        self.twilio = StampedTwilio().start()
        self.at = StampedAT().start()
        if self.backend == "postgresql":
            self.database_url = create_pg_database("relais_bench")
        else:
            self.database_url = f"sqlite:///{self.tmp / 'relais.db'}"
        migrate.upgrade(self.database_url)
        app = self.app()
        from gateway import runtime
        from gateway.referrals import store

        with app.app_context():
            store.load_file(runtime.current().db, DIRECTORY)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_processes()
        if self._app is not None:
            self._app.extensions["relais"].db.dispose()
            self._app = None
        for fake in (self.twilio, self.at):
            if fake is not None:
                fake.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.backend == "postgresql":
            drop_pg_database("relais_bench")
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- settings --------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        """Production settings pointing at this stack (overridable)."""
        assert self.redis and self.twilio and self.at
        env = dict(os.environ)
        env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
        env.update(
            production_settings(
                self.database_url, self.redis.url, self.twilio.url, self.at.url, self.data_keys
            )
        )
        env.update(self.settings)
        env.update(extra)
        return env

    def app(self) -> Any:
        """A Flask app on this stack, in this process (for seeding and reading)."""
        if self._app is None:
            from gateway import create_app

            env = self.env()
            keys = [
                "RELAIS_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_KEYS",
                "PUBLIC_BASE_URL", "SMS_PROVIDER", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                "TWILIO_FROM", "TWILIO_API_BASE_URL", "AT_USERNAME", "AT_API_KEY",
                "AT_API_BASE_URL", "AT_WEBHOOK_TOKEN", "SEND_RATE",
            ]  # fmt: skip
            self._app = create_app({k: env[k] for k in keys} | {"LOG_LEVEL": "WARNING"})
        return self._app

    # -- processes -------------------------------------------------------
    def start(self, name: str, command: str | None = None, **extra: str) -> subprocess.Popen[bytes]:
        """Start a Procfile line (or ``command``) with this stack's environment."""
        log = (self.tmp / f"{name}-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            ["bash", "-c", "exec " + (command or commands()[name])],
            cwd=PROJECT_ROOT,
            env=self.env(**extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def web(self, app_spec: str | None = None, **extra: str) -> str:
        """gunicorn from the Procfile's web line (``app_spec`` replaces the app); its URL."""
        port = free_port()
        command = commands()["web"]
        if app_spec:
            command = command.replace("'gateway.wsgi:app()'", f"'{app_spec}'")
            assert app_spec in command, "the Procfile's web line changed: update bench/stack.py"
        proc = self.start("web", command, PORT=str(port), **extra)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:  # noqa: S310
                    if resp.status == 200:
                        return base
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer /healthz in 60 s")

    def workers(self, n: int, **extra: str) -> list[subprocess.Popen[bytes]]:
        """Start ``n`` Procfile worker lines: one process each, unless ``extra`` says otherwise."""
        return [self.start("worker", **{"WORKER_PROCESSES": "1", **extra}) for _ in range(n)]

    def stop_processes(self) -> None:
        """SIGTERM every process, then SIGKILL what is left after 20 s."""
        for _name, proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def log_tail(self, chars: int = 2000) -> str:
        """The end of every process log."""
        out = []
        for path in sorted(self.tmp.glob("*.log")):
            out.append(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(out)

    def reset_fakes(self) -> None:
        """Forget what the fake providers received."""
        assert self.twilio and self.at
        for fake in (self.twilio, self.at):
            fake.reset()
            fake.arrivals.clear()

    def wait_idle(self, timeout: float = 120) -> bool:
        """Wait until the RQ queues are empty (workers caught up)."""
        from redis import Redis

        assert self.redis
        client = Redis.from_url(self.redis.url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(client.llen(f"rq:queue:{q}") == 0 for q in QUEUE_NAMES):
                return True
            time.sleep(0.2)
        return False


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": mem_gb,
        "python": sys.version.split()[0],
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        # Other work on the machine skews every number: record it.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


_lock = threading.Lock()
_number = [int(time.time()) % 100_000 * 10]


def new_number() -> str:
    """A fresh, valid Mali mobile number (+223 7x xx xx xx) for a simulated reporter."""
    with _lock:
        _number[0] += 1
        n = _number[0] % 1_000_000
    return f"+22376{n:06d}"
