"""Liveness and readiness."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask

from gateway import create_app, migrate
from gateway.embedded_redis import free_port
from tests.conftest import make_config


def test_healthz_answers_ok(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_ok_when_database_and_redis_answer(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "schema": "ok", "redis": "ok"}


def test_readyz_names_redis_when_it_is_down(database_url: str) -> None:
    app: Flask = create_app(make_config(database_url, f"redis://127.0.0.1:{free_port()}/0"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "failed": ["redis"]}


def test_readyz_names_the_database_when_it_is_down(redis_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing_dir = tmp_path / "no" / "such" / "dir" / "relais.db"
    app: Flask = create_app(make_config(f"sqlite:///{missing_dir}", redis_url))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["database"]


def test_readyz_redis_recovers_after_restart(client, redis_server) -> None:  # type: ignore[no-untyped-def]
    redis_server.stop()
    assert client.get("/readyz").status_code == 503
    redis_server.start()
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    ("prepare", "status", "failed"),
    [
        ("nothing", 503, ["schema"]),  # the release step never ran: every webhook fails
        ("0004", 503, ["schema"]),  # an older schema: routing fails on a missing column
        ("newer", 200, None),  # migrated by the next release: keep serving meanwhile
    ],
)
def test_readyz_names_a_schema_older_than_the_code(
    redis_url: str, tmp_path: Path, prepare: str, status: int, failed: list[str] | None
) -> None:
    path = tmp_path / "relais.db"
    sqlite3.connect(path).close()
    if prepare != "nothing":
        migrate.upgrade(f"sqlite:///{path}", "head" if prepare == "newer" else prepare)
    if prepare == "newer":
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    app: Flask = create_app(make_config(f"sqlite:///{path}", redis_url))
    response = app.test_client().get("/readyz")
    assert response.status_code == status
    assert response.json.get("failed") == failed
