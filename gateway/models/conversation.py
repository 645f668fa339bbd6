"""A conversation: where one person stands in one flow.

The live state is also cached in Redis with a TTL; this row is written on
every answer, so a Redis restart mid-conversation loses nothing. The state
holds the person's answers (free text included), so it is encrypted.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway import crypto
from gateway.db import Base, UTCDateTime, utcnow


class Conversation(Base):
    """One person's run through a flow on one channel (or one USSD session)."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_contact_channel", "contact_id", "channel", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    channel: Mapped[str] = mapped_column(String(8))  # sms or ussd
    session_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    flow: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(crypto.EncryptedText())  # ConversationState as JSON
    # active → completed | abandoned; "paused" waits for continue/start again.
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
