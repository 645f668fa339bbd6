"""Africa's Talking wire format: SMS and USSD callbacks, USSD answers. Pure, no I/O.

AT callbacks are **not signed**: the URL carries a secret token (checked with
:func:`token_valid`), the endpoint is HTTPS-only, and delivery reports are
matched against ids we sent.

Inbound SMS callback (``POST`` form)::

    id=<uuid>  from=+22376123445  to=36001  text=…  date=2024-03-14 09:21:07
    linkId=<uuid> (premium / on-demand only)  networkCode=61002 (sometimes)

Delivery report (``POST`` form)::

    id=ATXid_…  status=Success|Sent|Submitted|Buffered|Rejected|Failed|Expired
    phoneNumber=+223…  networkCode=61002  retryCount=0
    failureReason=InsufficientCredit|InvalidLinkId|UserIsInactive|UserInBlackList|
                  DeliveryFailure|…   (only when failed)

USSD request (``POST`` form; answer ``text/plain`` ``CON …`` or ``END …``,
≤ 182 characters, within a few seconds)::

    sessionId=ATUid_…  serviceCode=*384*123#  phoneNumber=+22365…
    networkCode=61001  text=1*2*…

    ``text`` is empty on the first request, then **every input so far** joined
    by ``*``; an input may itself contain ``*``. Use :func:`latest_input`.

USSD end-of-session notification (``POST`` form to a separate URL)::

    sessionId=…  serviceCode=…  phoneNumber=…  networkCode=…  status=Success|Incomplete|
    Failed  durationInMillis=45670  errorMessage=…  cost=…  hopsCount=…  input=…
    lastAppResponse=…  date=…
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from gateway.channels.base import InboundMessage, InvalidPayload, StatusUpdate
from gateway.encoding import gsm7_fold
from gateway.phones import normalize

SLUG = "africastalking"
USSD_MAX = 182
MAX_SMS_TEXT = 1600
MAX_USSD_TEXT = 4096
_MAX_ID = 128
_ELLIPSIS = "..."

_DELIVERY_STATUSES = {
    "success": "delivered",
    "sent": "sent",
    "submitted": "sent",
    "buffered": "sent",
    "rejected": "failed",
    "failed": "failed",
    "expired": "failed",
}


@dataclass(frozen=True)
class UssdRequest:
    """One USSD callback: ``text`` is the raw cumulative input of the session."""

    session_id: str
    service_code: str
    phone_number: str  # E.164
    network_code: str
    text: str
    received_at: datetime | None = None


@dataclass(frozen=True)
class UssdEnd:
    """The end-of-session notification for a USSD session."""

    session_id: str
    status: str
    duration_ms: int | None
    error_message: str | None


def _field(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _raw(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _id(form: Mapping[str, str], name: str) -> str:
    value = _field(form, name)
    if not value:
        raise InvalidPayload(f"missing {name}")
    if len(value) > _MAX_ID or not value.isprintable():
        raise InvalidPayload(f"malformed {name}")
    return value


def _phone(form: Mapping[str, str], name: str) -> str:
    value = _field(form, name)
    if not value:
        raise InvalidPayload(f"missing {name}")
    return normalize(value)


def parse_inbound_sms(form: Mapping[str, str], received_at: datetime) -> InboundMessage:
    """Parse an inbound-SMS callback.

    Raises :class:`InvalidPayload` for a missing ``id``/``from`` or an oversize
    text, :class:`gateway.phones.InvalidNumber` for an invalid sender. ``date``
    and ``linkId`` are not kept (``received_at`` is our clock).
    """
    provider_id = _id(form, "id")
    sender = _phone(form, "from")
    text = _raw(form, "text")
    if len(text) > MAX_SMS_TEXT:
        raise InvalidPayload("text too long")
    return InboundMessage(
        channel=SLUG,
        provider_id=provider_id,
        sender=sender,
        text=text,
        received_at=received_at,
        recipient=_field(form, "to")[:64],
    )


def parse_delivery(form: Mapping[str, str]) -> StatusUpdate:
    """Parse a delivery report; ``failureReason`` becomes ``error_code``."""
    provider_id = _id(form, "id")
    raw = _field(form, "status")
    status = _DELIVERY_STATUSES.get(raw.lower())
    if status is None:
        raise InvalidPayload("missing or unknown status")
    return StatusUpdate(
        channel=SLUG,
        provider_id=provider_id,
        status=status,
        error_code=_field(form, "failureReason")[:64] or None,
        cost=_field(form, "cost")[:32] or None,
        raw_status=raw,
    )


def parse_ussd(form: Mapping[str, str], received_at: datetime) -> UssdRequest:
    """Parse a USSD request. ``text`` stays the raw cumulative text (see :func:`latest_input`)."""
    session_id = _id(form, "sessionId")
    service_code = _field(form, "serviceCode")
    if not service_code or len(service_code) > 32:
        raise InvalidPayload("missing or malformed serviceCode")
    phone = _phone(form, "phoneNumber")
    text = _raw(form, "text")
    if len(text) > MAX_USSD_TEXT:
        raise InvalidPayload("text too long")
    return UssdRequest(
        session_id=session_id,
        service_code=service_code,
        phone_number=phone,
        network_code=_field(form, "networkCode")[:16],
        text=text,
        received_at=received_at,
    )


def latest_input(previous_text: str | None, text: str) -> str:
    """Return what the user typed in this request, given the previous cumulative text.

    ``previous_text`` is the ``text`` of the previous request of the same
    session (``None`` before the first). ``("1*2", "1*2*3*4")`` → ``"3*4"``.
    When ``text`` does not extend ``previous_text`` (lost state, odd gateway),
    fall back to the part after the last ``*``.
    """
    if previous_text is None or previous_text == "":
        return text
    if text.startswith(previous_text + "*"):
        return text[len(previous_text) + 1 :]
    return text.rsplit("*", 1)[-1]


def parse_ussd_end(form: Mapping[str, str]) -> UssdEnd:
    """Parse an end-of-session notification."""
    session_id = _id(form, "sessionId")
    duration_raw = _field(form, "durationInMillis")
    duration = int(duration_raw) if duration_raw.isascii() and duration_raw.isdigit() else None
    if duration is not None and duration > 10**9:
        duration = None
    return UssdEnd(
        session_id=session_id,
        status=_field(form, "status")[:32],
        duration_ms=duration,
        error_message=_field(form, "errorMessage")[:500] or None,
    )


def render_ussd(text: str, end: bool) -> str:
    """Render a USSD answer: ``"CON …"`` (wait for input) or ``"END …"`` (close).

    The text is folded to GSM-7 first (a Bambara ``ɔ`` would make the whole
    screen UCS-2, where a screen holds far fewer characters). The result never
    exceeds 182 characters: longer text is cut at a character boundary (never
    inside a combining sequence) and ends with "...".
    """
    text = gsm7_fold(text)
    prefix = "END " if end else "CON "
    room = USSD_MAX - len(prefix)
    if len(text) <= room:
        return prefix + text
    cut = room - len(_ELLIPSIS)
    while cut > 0 and unicodedata.combining(text[cut]):
        cut -= 1
    return prefix + text[:cut].rstrip() + _ELLIPSIS


def token_valid(expected: str, given: str | None) -> bool:
    """Constant-time check of the secret URL token; False when none is configured."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "surrogatepass"))
