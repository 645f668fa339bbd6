"""An alert: one report of a child (or children) at risk, with its reference.

Only what the flow asked is kept — never a name. Free text typed by the
reporter (landmark, details) is encrypted. ``routed_at`` is the hook for
referrals: an alert without it still needs routing (the sweeper finds those).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway import crypto
from gateway.db import Base, UTCDateTime, utcnow
from gateway.models.contact import Contact


class Alert(Base):
    """A report received by SMS, USSD or the one-shot relay format."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True, index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    via: Mapped[str] = mapped_column(String(16))  # sms, ussd, oneshot, console
    language: Mapped[str] = mapped_column(String(8))
    concern: Mapped[str] = mapped_column(String(32), index=True)
    place: Mapped[str] = mapped_column(String(64), index=True)
    landmark: Mapped[str | None] = mapped_column(crypto.EncryptedText())
    children_count: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(16), index=True)
    age_band: Mapped[str] = mapped_column(String(16), index=True)
    immediate_danger: Mapped[str] = mapped_column(String(16))
    risk: Mapped[str] = mapped_column(String(16), index=True)
    details: Mapped[str | None] = mapped_column(crypto.EncryptedText())
    consent_callback: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_messages: Mapped[bool] = mapped_column(Boolean, default=False)
    # received → in_progress → closed: what a reporter may learn (STATUS <ref>).
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    is_training: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    routed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    contact: Mapped[Contact | None] = relationship()
