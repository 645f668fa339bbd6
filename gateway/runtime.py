"""The per-app runtime: settings, database, Redis and data keys together.

``create_app`` builds one and stores it in ``app.extensions["relais"]``; web
requests, CLI commands and RQ jobs (which run inside an app context) reach it
with :func:`current`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from redis import Redis

from gateway.config import Settings
from gateway.crypto import Keyring
from gateway.db import Database


@dataclass
class Runtime:
    """What every part of Relais needs to do its work."""

    settings: Settings
    db: Database
    redis: Redis
    keyring: Keyring


def current() -> Runtime:
    """The runtime of the current Flask app."""
    runtime: Runtime = current_app.extensions["relais"]
    return runtime
