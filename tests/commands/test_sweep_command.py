"""``relais sweep``: the workers' sweep, run once by hand, with the same settings and lock."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo

from gateway import runtime
from gateway.cli import main
from gateway.db import utcnow
from gateway.models import Contact, Message
from gateway.outbox import queue_outbound
from gateway.worker import SWEEP_LOCK


def invoke(app: Flask, *args: str) -> Result:
    """Run ``relais sweep`` against ``app``."""
    return CliRunner().invoke(main, ["sweep", *args], obj=ScriptInfo(create_app=lambda: app))


def _claimed(seconds_ago: int) -> int:
    """A send a worker claimed ``seconds_ago`` and may still be sending."""
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, "+22376123445")
        message = queue_outbound(session, contact=contact, text="Merci", channel="sandbox")
        message.status = "sending"
        message.claimed_at = utcnow() - dt.timedelta(seconds=seconds_ago)
        session.flush()
        return message.id


@pytest.fixture
def slow_provider_config(app_config: dict[str, object]) -> dict[str, object]:
    app_config["SEND_STUCK_AFTER"] = 3600  # a provider known to answer slowly
    return app_config


def test_sweep_waits_as_long_as_the_workers_do(
    slow_provider_config: dict[str, object], app: Flask
) -> None:
    """It used a fixed 3 minutes: a send claimed 200 s ago was sent a second
    time while the provider could still be answering the first."""
    message_id = _claimed(200)
    runtime.current().redis.flushdb()
    result = invoke(app)
    assert result.exit_code == 0, result.output
    assert "recovered from crashed sends 0" in result.output
    with runtime.current().db.session() as session:
        message = session.get_one(Message, message_id)
        assert (message.status, message.possible_duplicate) == ("sending", False)


def test_sweep_recovers_a_send_stuck_longer_than_the_setting(app: Flask) -> None:
    _claimed(2 * runtime.current().settings.SEND_STUCK_AFTER)
    runtime.current().redis.flushdb()
    result = invoke(app)
    assert result.exit_code == 0, result.output
    assert "recovered from crashed sends 1" in result.output


def test_sweep_does_not_run_beside_a_workers_sweep(app: Flask) -> None:
    redis = runtime.current().redis
    lock = redis.lock(SWEEP_LOCK, timeout=60)
    assert lock.acquire(blocking=False)
    try:
        _claimed(2 * runtime.current().settings.SEND_STUCK_AFTER)
        result = invoke(app, "--wait", "0.5")
    finally:
        lock.release()
    assert result.exit_code == 1
    assert "a worker is sweeping right now" in result.output
