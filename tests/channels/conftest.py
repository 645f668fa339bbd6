"""Fixtures for channel tests: fake provider APIs and recorded payloads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.providers import FakeAfricasTalking, FakeTwilio

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"


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
