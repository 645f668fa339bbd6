"""The channel interface shared by every provider adapter.

An adapter is two halves:

* pure functions that parse a provider's webhook form into the normalised
  types below and render the provider's expected answer (no I/O, easy to test);
* a :class:`Sender` that sends one text through the provider's official SDK.
  Senders do network I/O and are only ever called from RQ jobs.

Errors from a send are raised as :class:`SendError` and carry whether they
are transient (retry later, maybe on the fallback provider) or permanent.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError


class SessionEvent(enum.StrEnum):
    """Where a USSD request stands in its session."""

    START = "start"
    CONTINUE = "continue"
    END = "end"


@dataclass(frozen=True)
class InboundMessage:
    """One message from a person, whatever provider carried it."""

    channel: str
    provider_id: str
    sender: str  # E.164
    text: str
    received_at: datetime
    recipient: str = ""  # our number, short code or USSD service code
    session_id: str | None = None  # USSD only
    session_event: SessionEvent | None = None  # USSD only


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery report for a message we sent."""

    channel: str
    provider_id: str
    status: str  # normalised: queued, sent, delivered, undelivered, failed
    error_code: str | None = None
    cost: str | None = None
    raw_status: str = ""


@dataclass(frozen=True)
class SendResult:
    """What the provider answered when it accepted a message."""

    provider_id: str
    status: str = "sent"
    cost: str | None = None


class ErrorKind(enum.StrEnum):
    """How a send failure should be handled."""

    TRANSIENT = "transient"  # retry with growing delays, then fall back
    PERMANENT = "permanent"  # fail now, never retry
    OPTED_OUT = "opted_out"  # permanent, and the number asked not to be messaged
    INVALID_NUMBER = "invalid_number"  # permanent, and the number cannot receive
    # The provider account cannot send now (credentials, balance, sender id,
    # risk hold): the fallback provider may, and this one may again once an
    # operator acts, so it is retried rather than failed at once.
    ACCOUNT = "account"


@dataclass
class SendError(Exception):
    """A send that did not succeed, classified for retry decisions."""

    kind: ErrorKind
    code: str
    detail: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None  # seconds the provider asked us to wait

    def __str__(self) -> str:
        return f"{self.kind.value} error {self.code}: {self.detail}"

    @property
    def transient(self) -> bool:
        """True when trying again later may succeed."""
        return self.kind is ErrorKind.TRANSIENT


# A Retry-After beyond this is not waited for in full: the message retries
# (or fails over) after at most five minutes, as its retry delays say.
MAX_RETRY_AFTER = 300.0


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """The seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP
    date), between 1 and :data:`MAX_RETRY_AFTER`; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text[:12])
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


def request_error(exc: requests.RequestException) -> SendError:
    """Classify an HTTP client error: did the request possibly reach the provider?

    ``network``: it never left (refused, DNS, connect timeout) — a retry is
    safe. ``timeout`` (no answer in time) and ``dropped`` (the connection
    closed after the request was written) — the provider may have queued the
    SMS, so a retry may deliver it twice (the job flags it).
    """
    name = type(exc).__name__
    if isinstance(exc, requests.ConnectTimeout):
        return SendError(ErrorKind.TRANSIENT, "network", name)
    if isinstance(exc, requests.Timeout):
        return SendError(ErrorKind.TRANSIENT, "timeout", name)
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps it
        if not isinstance(reason, NewConnectionError | ConnectTimeoutError):
            return SendError(ErrorKind.TRANSIENT, "dropped", name)
    return SendError(ErrorKind.TRANSIENT, "network", name)


class InvalidPayload(ValueError):
    """A webhook body that cannot be understood (answered 4xx, never 500)."""


class Sender(Protocol):
    """Sends one text message through a provider. Called only from RQ jobs."""

    slug: str

    def send(self, to: str, text: str, *, status_callback: str | None = None) -> SendResult:
        """Send ``text`` to the E.164 number ``to``; raise :class:`SendError` on failure."""
        ...
