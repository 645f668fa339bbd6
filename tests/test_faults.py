"""Fault injection with real worker processes: a worker killed mid-send."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask

from gateway import runtime
from gateway.config import PROJECT_ROOT
from gateway.models import Contact, Message
from gateway.outbox import queue_outbound
from gateway.procfile import commands
from tests.conftest import AT_TOKEN, DATA_KEYS, TWILIO_SID, TWILIO_TOKEN
from tests.fakes.providers import FakeTwilio

pytestmark = pytest.mark.slow


def _worker(app: Flask, fake: FakeTwilio) -> subprocess.Popen[bytes]:
    settings = runtime.current().settings
    env = dict(os.environ)
    env.update(
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        RELAIS_ENV="test",
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        DATA_KEYS=DATA_KEYS,
        SECRET_KEY="test-secret-key",
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        TWILIO_FROM="+22365123456",
        TWILIO_API_BASE_URL=fake.url,
        AT_WEBHOOK_TOKEN=AT_TOKEN,
        SWEEP_INTERVAL="1",
        SWEEP_GRACE="0",
        SEND_STUCK_AFTER="2",
        SEND_RATE="0",
    )
    return subprocess.Popen(
        ["bash", "-c", "exec " + commands()["worker"]],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, timeout: float = 60) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _status(message_id: int) -> Message:
    with runtime.current().db.session() as session:
        return session.get_one(Message, message_id)


def test_worker_killed_mid_send_still_delivers_and_flags_the_duplicate(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, "+22366000102")
        message_id = queue_outbound(
            session,
            contact=contact,
            text="RELAIS K7QX2P",
            channel="twilio",
            kind="referral",
            queue="default",
        ).id
    fake_twilio.default = fake_twilio.slow(30)  # the provider takes its time...
    first = _worker(app, fake_twilio)
    try:
        assert _wait(lambda: len(fake_twilio.requests) == 1), "the send never reached the provider"
        first.send_signal(signal.SIGKILL)  # ...and the worker dies while waiting
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert _status(message_id).status == "sending"
    fake_twilio.default = fake_twilio.success()
    second = _worker(app, fake_twilio)
    try:
        assert _wait(lambda: _status(message_id).status == "sent"), _status(message_id).status
    finally:
        second.terminate()
        second.wait(timeout=30)
    message = _status(message_id)
    assert message.possible_duplicate is True  # the first try may have gone out: counted
    assert len(fake_twilio.requests) == 2
