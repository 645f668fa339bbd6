"""A sender that sends nothing: it records messages in memory (development, demos, tests)."""

from __future__ import annotations

import threading
import uuid

from gateway.channels.base import SendResult


class SandboxSender:
    """The ``sandbox`` :class:`~gateway.channels.base.Sender`: keeps ``(to, text)`` in ``sent``."""

    slug = "sandbox"

    def __init__(self) -> None:
        """Start with nothing sent."""
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def send(self, to: str, text: str, *, status_callback: str | None = None) -> SendResult:
        """Record the message and answer like a provider that accepted it."""
        with self._lock:
            self.sent.append((to, text))
        return SendResult(provider_id="SB" + uuid.uuid4().hex, status="sent")
