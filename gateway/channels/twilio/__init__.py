"""Twilio Programmable Messaging adapter: webhooks (:mod:`.wire`), sending (:mod:`.sender`)."""

from gateway.channels.twilio.sender import TwilioSender
from gateway.channels.twilio.wire import (
    SLUG,
    empty_twiml,
    normalize_status,
    parse_inbound,
    parse_status,
    signature_valid,
)

__all__ = [
    "SLUG",
    "TwilioSender",
    "empty_twiml",
    "normalize_status",
    "parse_inbound",
    "parse_status",
    "signature_valid",
]
