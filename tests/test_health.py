"""Liveness and readiness."""

from __future__ import annotations

from flask import Flask

from gateway import create_app
from gateway.embedded_redis import free_port
from tests.conftest import make_config


def test_healthz_answers_ok(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_ok_when_database_and_redis_answer(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


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
