"""A phone number Relais talks to: a reporter or a focal point.

The number itself is encrypted; look-ups go through ``phone_hash``, a keyed
hash of the E.164 number (see :mod:`gateway.crypto`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway import crypto
from gateway.db import Base, UTCDateTime, utcnow


class Contact(Base):
    """One phone number, with its preferences and flags."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    phone: Mapped[str | None] = mapped_column(crypto.EncryptedText())
    language: Mapped[str | None] = mapped_column(String(8))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    invalid_number: Mapped[bool] = mapped_column(Boolean, default=False)
    is_training: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When staff last texted this reporter from the console: their next SMS
    # is likely an answer for the case (gateway.referrals.followup).
    staff_asked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @classmethod
    def find(cls, session: Session, e164: str) -> Contact | None:
        """The contact for an E.164 number, if any (by keyed hash)."""
        hashes = crypto.active().candidate_hashes(e164)
        return session.scalars(select(cls).where(cls.phone_hash.in_(hashes))).first()

    @classmethod
    def get_or_create(cls, session: Session, e164: str, *, training: bool = False) -> Contact:
        """The contact for an E.164 number, created (and flushed) when new."""
        contact = cls.find(session, e164)
        if contact is not None:
            return contact
        contact = cls(
            phone_hash=crypto.active().lookup_hash(e164), phone=e164, is_training=training
        )
        try:
            # A savepoint: two first messages from one new number may race here.
            with session.begin_nested():
                session.add(contact)
        except IntegrityError:
            found = cls.find(session, e164)
            if found is None:
                raise
            return found
        return contact
