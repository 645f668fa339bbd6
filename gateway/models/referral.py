"""Referrals: the directory in force, focal points, referrals and their audit trail.

* ``directory_versions`` keeps every loaded directory file (encrypted: it
  holds staff phone numbers) with its digest and the changes it made; the
  newest is in force.
* ``places_versions`` keeps every place list saved from the console (plain
  text: names and codes of places, no personal data); the newest is in force,
  the shipped ``gateway/data/places-ml.yaml`` when there is none.
* ``focal_points`` mirrors the directory's people so an inbound SMS can be
  recognised as a focal point's (by contact) without reading the file.
* ``referrals``: one per alert and agency; the lifecycle status, who holds it,
  when it escalates. ``referral_events`` is its append-only history.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TextClause,
    and_,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway import crypto
from gateway.db import Base, UTCDateTime, utcnow
from gateway.models.alert import Alert
from gateway.models.contact import Contact


class DirectoryVersion(Base):
    """One loaded directory file; the newest row is the directory in force."""

    __tablename__ = "directory_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(255))
    document: Mapped[str] = mapped_column(crypto.EncryptedText())  # the YAML text
    changes: Mapped[str] = mapped_column(Text, default="")  # phones masked
    loaded_by: Mapped[str] = mapped_column(String(64), default="cli")
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FocalPointRecord(Base):
    """A person of the directory who receives referrals by SMS."""

    __tablename__ = "focal_points"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the directory id
    agency_id: Mapped[str] = mapped_column(String(64), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    name: Mapped[str] = mapped_column(crypto.EncryptedText())  # may be a person's name
    languages: Mapped[str] = mapped_column(String(32), default="fr")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Removed from the directory: kept for the history, never notified.
    removed: Mapped[bool] = mapped_column(Boolean, default=False)

    contact: Mapped[Contact] = relationship()

    @property
    def language(self) -> str:
        """The language to write to this person in (focal-point texts: fr or en)."""
        for lang in self.languages.split(","):
            if lang in ("fr", "en"):
                return lang
        return "fr"


# Waiting on a person who has no answer deadline: referrals already waiting
# when migration 0007 added answer_by (new notifications always set it).
_UNDATED = "answer_by IS NULL AND notified_at IS NOT NULL AND status IN ('notified', 'escalated')"


class Referral(Base):
    """An alert referred to one agency, followed through its lifecycle."""

    __tablename__ = "referrals"
    __table_args__ = (
        # Exactly the rows the sweeper dates (see undated): empty once it has
        # run, so its query every 30 s costs nothing even with a backlog.
        Index(
            "ix_referrals_undated",
            "notified_at",
            postgresql_where=text(_UNDATED),
            sqlite_where=text(_UNDATED),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    agency_id: Mapped[str] = mapped_column(String(64), index=True)
    rule_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    # The escalation chain as JSON: [{"focal_point_id", "role", "after_seconds"}].
    chain: Mapped[str] = mapped_column(Text, default="[]")
    level: Mapped[int] = mapped_column(Integer, default=0)  # index in the chain
    focal_point_id: Mapped[str | None] = mapped_column(String(64), index=True)
    accepted_by: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When the escalation job is due (None once nobody is left to escalate to).
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    # When the person texted last should have answered: set for every level,
    # the last one included, so a case nobody answers shows as overdue even
    # when there is nobody left to escalate to (due_at is None then).
    answer_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminder_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    is_training: Mapped[bool] = mapped_column(Boolean, default=False)
    # The agency webhook's delivery: pending, delivered, failed, skipped or
    # example (an example.org-style address, never called); None when the
    # agency had no webhook. The sweeper re-queues "pending"
    # deliveries whose job Redis lost.
    webhook_status: Mapped[str | None] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Optimistic locking: two focal points answering OK at the same instant, or
    # an OK and the escalation job, each read the same row; the second commit
    # then fails (StaleDataError) instead of silently overwriting the first.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it

    alert: Mapped[Alert] = relationship()
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id", cascade="all, delete-orphan"
    )

    @classmethod
    def undated(cls) -> TextClause:
        """Waiting referrals without an answer deadline (the sweeper dates them).

        Written as ``ix_referrals_undated``'s own predicate, in SQL literals:
        PostgreSQL uses a partial index only when it can prove the query
        implies its predicate, which bound parameters would hide.
        """
        return text(_UNDATED)

    @property
    def people(self) -> list[dict[str, Any]]:
        """The escalation chain (focal point ids, roles, delays)."""
        value: list[dict[str, Any]] = json.loads(self.chain or "[]")
        return value

    @property
    def holder(self) -> str | None:
        """Who holds the case now: who accepted it, else the person it waits on."""
        return self.accepted_by if self.status == "accepted" else self.focal_point_id

    @classmethod
    def held_by(cls, fp_id: str) -> ColumnElement[bool]:
        """SQL for :attr:`holder` ``== fp_id`` (lists a focal point's cases in one query)."""
        return or_(
            and_(cls.status == "accepted", cls.accepted_by == fp_id),
            and_(cls.status != "accepted", cls.focal_point_id == fp_id),
        )

    def notified_ids(self) -> list[str]:
        """Focal points notified so far (up to the current level)."""
        return [p["focal_point_id"] for p in self.people[: self.level + 1]]


class ReferralEvent(Base):
    """One step of a referral's history: who did what, by which channel, when."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))  # focal point id, user, or "system"
    channel: Mapped[str] = mapped_column(String(16))  # sms, console, system
    note: Mapped[str | None] = mapped_column(crypto.EncryptedText())
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    referral: Mapped[Referral] = relationship(back_populates="events")


class PlacesVersion(Base):
    """One saved place list (YAML text); the newest row is the place hierarchy in force."""

    __tablename__ = "places_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(255))
    document: Mapped[str] = mapped_column(Text)  # the YAML text (no personal data)
    changes: Mapped[str] = mapped_column(Text, default="")
    loaded_by: Mapped[str] = mapped_column(String(64), default="cli")
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
