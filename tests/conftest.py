"""Shared fixtures: a real Redis, SQLite and (when configured) PostgreSQL, the app.

* Redis: the suite starts its own ``redis-server`` (the embedded binary) on a
  free port, so tests may stop and restart it without touching anyone else's.
* Databases: every test using ``app`` runs on SQLite, and again on PostgreSQL
  when ``TEST_DATABASE_URL`` is set. The schema comes from the real Alembic
  migrations, built once per session; each test gets clean tables.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import create_engine, text

from gateway import create_app, migrate
from gateway.db import Base, normalize_url
from gateway.embedded_redis import EmbeddedRedis
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.processes import PROC, marked

# Settings from the developer's shell must not leak into tests.
for _name in list(os.environ):
    if _name.startswith(("TWILIO_", "AT_", "SMS_")) or _name in {
        "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_KEYS", "PUBLIC_BASE_URL",
        "DIRECTORY_FILE", "RELAIS_ENV",
    }:  # fmt: skip
        del os.environ[_name]

# Every process a test starts inherits this mark (see _no_relais_process_left).
RUN_MARK = ("RELAIS_TEST_RUN", uuid.uuid4().hex)
os.environ[RUN_MARK[0]] = RUN_MARK[1]

DATA_KEYS = Fernet.generate_key().decode()
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "test-twilio-auth-token"
AT_TOKEN = "test-at-webhook-token"
PAYLOADS = Path(__file__).resolve().parent / "payloads"


def load_payload(provider: str, name: str) -> dict[str, str]:
    """A recorded webhook form from ``tests/payloads/<provider>/<name>.json``."""
    data = json.loads((PAYLOADS / provider / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {str(k): str(v) for k, v in data.items()}


@pytest.fixture
def payload() -> Callable[[str, str], dict[str, str]]:
    """``payload("twilio", "inbound_sms")`` → a fresh copy of a recorded form."""
    return load_payload


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A running fake Twilio API."""
    fake = FakeTwilio().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_at() -> Iterator[FakeAfricasTalking]:
    """A running fake Africa's Talking API."""
    fake = FakeAfricasTalking().start()
    try:
        yield fake
    finally:
        fake.stop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run database tests on SQLite, and on PostgreSQL when it is configured."""
    if "database_backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if os.environ.get("TEST_DATABASE_URL"):
            backends.append("postgresql")
        metafunc.parametrize("database_backend", backends, scope="session")


@pytest.fixture(autouse=True)
def _no_relais_process_left() -> Iterator[None]:
    """Fail the test that leaves a web or worker process running.

    Such a process keeps listening on the session's Redis and takes (or
    schedules) jobs of later tests, which then fail for no reason of their
    own. It is killed here and the test that left it fails at teardown.
    """
    yield
    if not PROC.is_dir():
        return
    left = marked(*RUN_MARK, relais_only=True)
    deadline = time.monotonic() + 10  # time to exit after a SIGTERM
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = marked(*RUN_MARK, relais_only=True)
    if left:
        lines = []
        for pid in left:
            with contextlib.suppress(OSError):
                command = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
                lines.append(f"{pid}: {command.decode(errors='replace').strip()}")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        pytest.fail("Relais processes outlived the test (killed now):\n" + "\n".join(lines))


@pytest.fixture(scope="session", autouse=True)
def _relais_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["RELAIS_HOME"] = str(tmp_path_factory.mktemp("relais-home"))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A private redis-server for this test session."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> str:
    """The private Redis, emptied (and restarted if a test stopped it)."""
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    from redis import Redis

    Redis.from_url(redis_server.url).flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once, copied for each test."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """TEST_DATABASE_URL with a fresh schema migrated to head."""
    url = os.environ["TEST_DATABASE_URL"]
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(url)
    return url


@pytest.fixture
def database_url(database_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database for one test."""
    if database_backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "relais.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine(normalize_url(url))
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


def make_config(database_url: str, redis_url: str, **extra: object) -> dict[str, object]:
    """The settings tests run with (overridable per test)."""
    config: dict[str, object] = {
        "RELAIS_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key",
        "DATA_KEYS": DATA_KEYS,
        "PUBLIC_BASE_URL": "https://relais.example.org",
        "SMS_PROVIDER": "sandbox",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM": "+22365123456",
        "AT_USERNAME": "relais",
        "AT_API_KEY": "test-at-api-key",
        "AT_WEBHOOK_TOKEN": AT_TOKEN,
        "SWEEP_GRACE": 0,
        "SEND_RETRY_DELAYS": "0,0,0",
        "SEND_RATE": 0,  # unlimited; the rate-limit tests set their own
        "LOG_LEVEL": "INFO",
    }
    config.update(extra)
    return config


@pytest.fixture
def app_config(
    database_url: str, redis_url: str, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking
) -> dict[str, object]:
    """Settings for the ``app`` fixture; tests may change them before using ``app``.

    Both providers' SDKs point at local fakes, so no test ever reaches out.
    """
    return make_config(
        database_url, redis_url, TWILIO_API_BASE_URL=fake_twilio.url, AT_API_BASE_URL=fake_at.url
    )


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    """The application on a clean database and an empty Redis."""
    application = create_app(app_config)
    with application.app_context():
        yield application
    application.extensions["relais"].db.dispose()


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    """A Flask test client."""
    return app.test_client()
