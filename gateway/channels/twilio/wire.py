"""Twilio wire format: parse webhook forms, answer TwiML, check signatures. Pure, no I/O.

Inbound SMS webhook
    ``POST`` ``application/x-www-form-urlencoded`` to the number's (or Messaging
    Service's) "A message comes in" URL::

        MessageSid=SM…(34)  SmsSid=SM…  SmsMessageSid=SM…  AccountSid=AC…
        MessagingServiceSid=MG…  From=+22376123445  To=+22365000000
        Body=…(≤ 1600 chars)  NumMedia=0  NumSegments=1  SmsStatus=received
        ApiVersion=2010-04-01  FromCountry=ML  ToCountry=ML  FromCity=…  …

    Twilio adds parameters without notice: unknown ones are ignored (but they
    are part of the signature, so the whole form is passed to the validator).
    The answer must be TwiML (``text/xml``); ``<Response/>`` sends nothing back.
    A JSON/HTML answer is Twilio error 12300, a 4xx/5xx is 11200. Twilio waits
    15 s and retries once by default, so handlers must be idempotent on
    ``MessageSid``.

Status callback
    ``POST`` form to the ``StatusCallback`` URL given when sending::

        MessageSid=SM…  SmsSid=SM…  MessageStatus=delivered  SmsStatus=delivered
        AccountSid=AC…  From=…  To=…  ApiVersion=2010-04-01
        ErrorCode=30003  (only on failed/undelivered)

    ``MessageStatus`` ∈ queued, sending, sent, delivered, undelivered, failed,
    read, canceled (plus accepted/scheduled before queueing). There is no
    callback for the initial ``queued`` state.

Signature
    ``X-Twilio-Signature`` = base64(HMAC-SHA1(auth token, URL as Twilio called
    it + every POST parameter name+value sorted by name)). Behind a TLS proxy
    the URL the app sees is ``http://internal…``: always rebuild it from the
    configured public base URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from twilio.request_validator import RequestValidator

from gateway.channels.base import InboundMessage, InvalidPayload, StatusUpdate
from gateway.phones import normalize

SLUG = "twilio"
MAX_BODY = 1600
_MAX_SID = 64

# Twilio message statuses → Relais' normalised statuses.
_STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "read": "read",
    "canceled": "canceled",
}


def _field(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _sid(form: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = _field(form, name)
        if value:
            if len(value) > _MAX_SID or not value.isascii() or not value.isalnum():
                raise InvalidPayload(f"malformed {name}")
            return value
    raise InvalidPayload(f"missing {names[0]}")


def normalize_status(raw: str) -> str:
    """Map a Twilio message status to Relais' vocabulary; raise InvalidPayload if unknown."""
    status = _STATUSES.get(raw.strip().lower())
    if status is None:
        raise InvalidPayload("unknown message status")
    return status


def parse_inbound(form: Mapping[str, str], received_at: datetime) -> InboundMessage:
    """Parse an inbound-SMS webhook form.

    Raises :class:`InvalidPayload` for a missing ``MessageSid``/``From`` or a
    body over 1600 characters, and :class:`gateway.phones.InvalidNumber` for a
    sender that is not a valid phone number.
    """
    provider_id = _sid(form, "MessageSid", "SmsSid")
    raw_from = _field(form, "From")
    if not raw_from:
        raise InvalidPayload("missing From")
    body = form.get("Body")
    text = body if isinstance(body, str) else ""
    if len(text) > MAX_BODY:
        raise InvalidPayload("Body longer than 1600 characters")
    return InboundMessage(
        channel=SLUG,
        provider_id=provider_id,
        sender=normalize(raw_from),
        text=text,
        received_at=received_at,
        recipient=_field(form, "To")[:64],
    )


def parse_status(form: Mapping[str, str]) -> StatusUpdate:
    """Parse a status-callback form into a :class:`StatusUpdate`."""
    provider_id = _sid(form, "MessageSid", "SmsSid")
    raw = _field(form, "MessageStatus") or _field(form, "SmsStatus")
    if not raw:
        raise InvalidPayload("missing MessageStatus")
    error_code = _field(form, "ErrorCode")[:32] or None
    return StatusUpdate(
        channel=SLUG,
        provider_id=provider_id,
        status=normalize_status(raw),
        error_code=error_code,
        raw_status=raw[:32],
    )


def empty_twiml() -> str:
    """The TwiML answer that acknowledges a webhook and sends nothing back."""
    return '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def signature_valid(
    auth_token: str,
    public_base_url: str,
    path_with_query: str,
    form: Mapping[str, str],
    signature: str | None,
) -> bool:
    """Check ``X-Twilio-Signature`` against the URL Twilio called.

    The URL is rebuilt as ``public_base_url`` + ``path_with_query`` (e.g.
    ``https://relais.example.org`` + ``/webhooks/twilio/sms?x=1``) so the check
    is right behind a TLS-terminating proxy. ``form`` may be a Werkzeug
    MultiDict (repeated keys are signed too). Never raises.
    """
    if not auth_token or not signature:
        return False
    path = path_with_query if path_with_query.startswith("/") else "/" + path_with_query
    url = public_base_url.rstrip("/") + path
    try:
        return bool(RequestValidator(auth_token).validate(url, form, signature))
    except (ValueError, TypeError, UnicodeError):
        return False
