"""Messages in and out, their status history, and rejected inbound requests.

An inbound message is a row before the webhook answers; an outbound message
is a row (status ``queued``) before it is a job. The body is encrypted.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from gateway import crypto
from gateway.db import Base, UTCDateTime, utcnow
from gateway.models.contact import Contact


class Direction(enum.StrEnum):
    """Which way a message travels."""

    IN = "in"
    OUT = "out"


class Status(enum.StrEnum):
    """Where a message stands. Inbound: received → handled. Outbound: the rest."""

    RECEIVED = "received"
    HANDLING = "handling"
    HANDLED = "handled"
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


# Outbound statuses that still need a send job.
PENDING = (Status.QUEUED, Status.RETRYING)

# How far along a delivery is: a late report never moves a message backwards.
PROGRESS = {
    Status.QUEUED: 0,
    Status.RETRYING: 0,
    Status.SENDING: 1,
    Status.SENT: 2,
    Status.DELIVERED: 3,
    Status.UNDELIVERED: 3,
    Status.FAILED: 3,
    Status.SUPPRESSED: 3,
}


class Message(Base):
    """One text, inbound or outbound."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("direction", "channel", "provider_id"),
        Index("ix_messages_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(128))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    body: Mapped[str | None] = mapped_column(crypto.EncryptedText())
    status: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="reply")
    queue: Mapped[str] = mapped_column(String(16), default="high")
    error_code: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    encoding: Mapped[str | None] = mapped_column(String(8))
    segments: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[str | None] = mapped_column(String(32))
    session_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # For a USSD screen (and other inline answers): the inbound message answered.
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    is_training: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact] = relationship()
    reply_to: Mapped[Message | None] = relationship(remote_side="Message.id")
    events: Mapped[list[MessageEvent]] = relationship(
        back_populates="message", order_by="MessageEvent.id", cascade="all, delete-orphan"
    )

    def record(self, status: str, *, error_code: str | None = None, detail: str = "") -> None:
        """Set the status and append it to the history (``detail`` holds no personal data)."""
        self.status = status
        if error_code is not None:
            self.error_code = error_code
        event = MessageEvent(status=status, error_code=error_code, detail=detail[:255], at=utcnow())
        session = object_session(self)
        if session is None or self.id is None or "events" in inspect(self).dict:
            self.events.append(event)  # new, or history already loaded: keep it in step
        else:
            # Do not load the whole history just to add a line to it.
            event.message_id = self.id
            session.add(event)


class MessageEvent(Base):
    """One step of a message's status history."""

    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    message: Mapped[Message] = relationship(back_populates="events")


class InboundRejection(Base):
    """A webhook request that was answered but not processed (no personal data kept)."""

    __tablename__ = "inbound_rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
