"""Fixtures of the fault tests (helpers live in :mod:`tests.faults.helpers`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from gateway import create_app, runtime
from gateway.referrals import store
from tests.faults.helpers import DIRECTORY, Procs


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    """Start Procfile processes; all are stopped when the test ends."""
    started = Procs(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def loop_app(app_config: dict[str, object]) -> Iterator[Flask]:
    """The app sending through (fake) Twilio with the demo directory loaded."""
    app = create_app({**app_config, "SMS_PROVIDER": "twilio", "SEND_TIMEOUT": 1.0})
    with app.app_context():
        store.load_file(runtime.current().db, DIRECTORY)
        yield app
    app.extensions["relais"].db.dispose()
