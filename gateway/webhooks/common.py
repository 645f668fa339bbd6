"""What every SMS webhook does once the request is authenticated and parsed."""

from __future__ import annotations

import contextlib

from gateway import inbound
from gateway.channels.base import InboundMessage
from gateway.runtime import Runtime


def accept_sms(rt: Runtime, message: InboundMessage) -> bool:
    """Store ``message`` (committed), then step the conversation; True when new.

    A retried webhook finds the message stored and does nothing more. A
    processing error is logged by the dispatcher and left to the sweeper: the
    provider still gets its 200, since the message is safe.
    """
    stored = inbound.store(rt.db, message, claim=True)
    if stored.created:
        with contextlib.suppress(Exception):
            rt.dispatch.handle_sms(stored.message_id, claimed=True, contact_id=stored.contact_id)
    return stored.created
