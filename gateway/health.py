"""Liveness and readiness endpoints for load balancers and operators.

``/healthz`` says the process is up. ``/readyz`` says whether it can do its
work: the database and Redis both answer, and the database's schema is not
older than the code (``schema``: the release step has not run, so every
webhook would fail). On failure it answers 503 and names
what failed, and nothing more (no connection strings, no errors in clear).
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from gateway import migrate, runtime
from gateway.logs import get_logger

bp = Blueprint("health", __name__)
log = get_logger(__name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Database (with an up-to-date schema) and Redis reachable: 200; otherwise
    503 naming what failed."""
    rt = runtime.current()
    failed: list[str] = []
    try:
        if migrate.schema_behind(rt.db):
            log.warning("readiness_failed", component="schema", error="behind")
            failed.append("schema")
    except Exception as exc:
        log.warning("readiness_failed", component="database", error=type(exc).__name__)
        failed.append("database")
    try:
        rt.redis.ping()
    except Exception as exc:
        log.warning("readiness_failed", component="redis", error=type(exc).__name__)
        failed.append("redis")
    if failed:
        return jsonify(status="unavailable", failed=failed), 503
    return jsonify(status="ok", checks={"database": "ok", "schema": "ok", "redis": "ok"})
