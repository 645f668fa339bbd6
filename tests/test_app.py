"""The application factory and its error answers."""

from __future__ import annotations

import pytest
from flask import Flask

from gateway import create_app
from gateway.config import ConfigError


def test_create_app_refuses_production_without_keys() -> None:
    with pytest.raises(ConfigError, match="DATA_KEYS"):
        create_app({"RELAIS_ENV": "production"})


def test_unknown_route_is_a_json_404(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no/such/page")
    assert response.status_code == 404 and response.json["status"] == 404


def test_wrong_method_is_a_405(client) -> None:  # type: ignore[no-untyped-def]
    assert client.delete("/healthz").status_code == 405


def test_oversized_body_is_a_413(app: Flask) -> None:
    @app.post("/echo-size")
    def _echo() -> str:
        from flask import request

        return str(len(request.get_data()))

    response = app.test_client().post(
        "/echo-size", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    )
    assert response.status_code == 413


def test_unexpected_error_is_a_500_without_details(app: Flask) -> None:
    @app.get("/boom")
    def _boom() -> str:
        raise RuntimeError("secret detail +22376123445")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"secret detail" not in response.data and b"Traceback" not in response.data
