"""The per-app runtime: settings, database, Redis and data keys together.

``create_app`` builds one and stores it in ``app.extensions["relais"]``; web
requests, CLI commands and RQ jobs (which run inside an app context) reach it
with :func:`current`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app
from redis import Redis

from gateway.channels.base import Sender
from gateway.config import Settings
from gateway.crypto import Keyring
from gateway.db import Database

if TYPE_CHECKING:
    from gateway.dispatch import Dispatcher


@dataclass
class Runtime:
    """What every part of Relais needs to do its work."""

    settings: Settings
    db: Database
    redis: Redis
    keyring: Keyring
    # Called with each new alert's id after its transaction commits.
    alert_hooks: list[Callable[[int], Any]] = field(default_factory=list)
    dispatcher: Dispatcher | None = None
    # Provider senders, built on first use (see gateway.channels.registry).
    senders: dict[str, Sender] = field(default_factory=dict)

    @property
    def dispatch(self) -> Dispatcher:
        """The dispatcher (built by ``create_app``)."""
        if self.dispatcher is None:
            raise RuntimeError("no dispatcher: build the app with create_app()")
        return self.dispatcher


def current() -> Runtime:
    """The runtime of the current Flask app."""
    runtime: Runtime = current_app.extensions["relais"]
    return runtime
