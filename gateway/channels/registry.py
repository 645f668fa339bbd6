"""The channel registry: provider slug → sender, built from settings.

Senders are built once per app runtime (SDK clients keep HTTP connections
alive between sends); the caller owns the cache.
"""

from __future__ import annotations

from gateway.channels.base import Sender
from gateway.config import Settings

SLUGS = ("twilio", "africastalking", "sandbox")


def build_sender(slug: str, settings: Settings) -> Sender:
    """A new sender for provider ``slug`` configured from ``settings``."""
    if slug == "twilio":
        from gateway.channels.twilio.sender import TwilioSender

        return TwilioSender(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            settings.TWILIO_FROM,
            api_base_url=settings.TWILIO_API_BASE_URL,
            timeout=settings.SEND_TIMEOUT,
        )
    if slug == "africastalking":
        from gateway.channels.africastalking.sender import AfricasTalkingSender

        return AfricasTalkingSender(
            settings.AT_USERNAME,
            settings.AT_API_KEY,
            sender_id=settings.AT_SENDER_ID,
            api_base_url=settings.AT_API_BASE_URL,
            timeout=settings.SEND_TIMEOUT,
        )
    if slug == "sandbox":
        from gateway.channels.sandbox import SandboxSender

        return SandboxSender()
    raise ValueError(f"unknown channel {slug!r}; known: {', '.join(SLUGS)}")


def sender_for(slug: str, settings: Settings, cache: dict[str, Sender]) -> Sender:
    """The sender for ``slug`` from ``cache``, built from ``settings`` on first use."""
    if slug not in cache:
        cache[slug] = build_sender(slug, settings)
    return cache[slug]
