"""The sandbox sender records instead of sending."""

from __future__ import annotations

from gateway.channels.base import Sender
from gateway.channels.sandbox import SandboxSender


def test_sandbox_records_sends() -> None:
    sender: Sender = SandboxSender()
    first = sender.send("+22376123445", "Bonjour")
    second = sender.send("+22365987654", "I ni ce", status_callback="https://x")
    assert isinstance(sender, SandboxSender)
    assert sender.sent == [("+22376123445", "Bonjour"), ("+22365987654", "I ni ce")]
    assert first.provider_id.startswith("SB") and len(first.provider_id) == 34
    assert first.provider_id != second.provider_id
    assert first.status == "sent"
    assert sender.slug == "sandbox"
