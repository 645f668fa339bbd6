"""An alert: one report of a child (or children) at risk, with its reference.

Only what the flow asked is kept — never a name. Free text typed by the
reporter (landmark, details) is encrypted. ``routed_at`` is the hook for
referrals: an alert without it still needs routing (the sweeper finds those).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ColumnElement, ForeignKey, Index, Integer, String, and_, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway import crypto
from gateway.db import Base, UTCDateTime, utcnow
from gateway.models.contact import Contact


class Alert(Base):
    """A report received by SMS, USSD or the one-shot relay format."""

    __tablename__ = "alerts"
    # The case list filters by place and risk, newest first: one composite
    # index answers a deep page of a rare filter without walking the table
    # (measured in bench/scale.py). Sex, age band, risk and the training flag
    # have no index of their own: too few distinct values to help any query.
    # The sweeper (every 30 s) and /metrics look for alerts not yet routed: a
    # partial index holds only those few rows instead of a scan of them all.
    __table_args__ = (
        Index("ix_alerts_place_risk_created", "place", "risk", "created_at"),
        Index(
            "ix_alerts_unrouted",
            "created_at",
            postgresql_where=text("routed_at IS NULL"),
            sqlite_where=text("routed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True, index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    via: Mapped[str] = mapped_column(String(16))  # sms, ussd, oneshot, console
    language: Mapped[str] = mapped_column(String(8))
    concern: Mapped[str] = mapped_column(String(32), index=True)
    place: Mapped[str] = mapped_column(String(64))
    landmark: Mapped[str | None] = mapped_column(crypto.EncryptedText())
    children_count: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(16))
    age_band: Mapped[str] = mapped_column(String(16))
    immediate_danger: Mapped[str] = mapped_column(String(16))
    risk: Mapped[str] = mapped_column(String(16))
    details: Mapped[str | None] = mapped_column(crypto.EncryptedText())
    consent_callback: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_messages: Mapped[bool] = mapped_column(Boolean, default=False)
    # received → in_progress → closed: what a reporter may learn (STATUS <ref>).
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    is_training: Mapped[bool] = mapped_column(Boolean, default=False)
    routed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    contact: Mapped[Contact | None] = relationship()

    @classmethod
    def unrouted_before(cls, cutoff: dt.datetime) -> ColumnElement[bool]:
        """Alerts received before ``cutoff`` and still waiting for routing.

        The sweeper and the system status ask it; ``routed_at IS NULL`` is
        what lets the partial index ``ix_alerts_unrouted`` answer.
        """
        return and_(cls.routed_at.is_(None), cls.erased_at.is_(None), cls.created_at < cutoff)
