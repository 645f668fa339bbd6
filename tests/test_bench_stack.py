"""The benchmark stack's settings pass the production checks.

``make bench`` is not part of ``make test``; without this, a new production
check (a 32-character SECRET_KEY) silently broke every benchmark.
"""

from __future__ import annotations

from cryptography.fernet import Fernet

from bench.stack import production_settings
from gateway.config import load_settings


def test_bench_settings_pass_the_production_checks() -> None:
    env = production_settings(
        "sqlite:////tmp/bench.db",
        "redis://127.0.0.1:6379/0",
        "http://127.0.0.1:9001",
        "http://127.0.0.1:9002",
        Fernet.generate_key().decode(),
    )
    settings = load_settings(environ=env)
    assert settings.is_production
    assert settings.TWILIO_API_BASE_URL == "http://127.0.0.1:9001"
