"""Retention: erase personal data after ``RETENTION_DAYS``, keep anonymous counts.

:func:`purge` (daily, as the RQ job :func:`purge_job`, or ``relais purge``)
erases, for a period ``P`` (``RETENTION_DAYS``, default 90 days; training data
after one day, or ``P`` when shorter), the free text of closed alerts, message
bodies, the numbers of inactive contacts, old conversations and the encrypted
text of rows tied to erased alerts (referral notes). Which rows each rule reaches is in
:mod:`gateway.retention_rules`; this module runs the rules in one transaction,
counts the same rows in a dry run, records the audit event and the log line,
and reads the setting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CursorResult, String, cast, delete, func, literal, select, update

from gateway import audit, runtime
from gateway.db import Database, utcnow
from gateway.logs import get_logger
from gateway.models import Alert, Contact, Conversation, Message
from gateway.retention_rules import (
    LINKED_TO_ALERT,
    Cutoffs,
    deletable_conversations,
    erasable_alerts,
    erasable_contacts,
    erasable_messages,
    linked_condition,
)

log = get_logger(__name__)

DEFAULT_RETENTION_DAYS = 90
TRAINING_RETENTION = dt.timedelta(days=1)


@dataclass
class PurgeReport:
    """What a purge erased (or, in a dry run, would erase)."""

    dry_run: bool
    older_than_days: float
    alerts_erased: int = 0
    messages_erased: int = 0
    contacts_erased: int = 0
    conversations_deleted: int = 0
    linked_erased: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Every count by name (linked tables as ``<table>_erased``)."""
        out = {
            "alerts_erased": self.alerts_erased,
            "messages_erased": self.messages_erased,
            "contacts_erased": self.contacts_erased,
            "conversations_deleted": self.conversations_deleted,
        }
        out.update({f"{name}_erased": n for name, n in self.linked_erased.items()})
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (the job result and the log record)."""
        return {"dry_run": self.dry_run, "older_than_days": self.older_than_days, **self.counts()}


def _apply(session: Any, model: Any, where: Any, values: dict[str, Any] | None, dry: bool) -> int:
    if dry:
        return int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)
    statement: Any = delete(model) if values is None else update(model).values(**values)
    statement = statement.where(where).execution_options(synchronize_session=False)
    result: CursorResult[Any] = session.execute(statement)
    return int(result.rowcount)


def purge(
    db: Database, *, now: dt.datetime, older_than: dt.timedelta, dry_run: bool
) -> PurgeReport:
    """Erase personal data older than ``older_than`` (the rules: :mod:`gateway.retention_rules`).

    Runs in one transaction and returns what it erased; with ``dry_run`` it
    counts the same rows and changes nothing. Logs ``retention_purge`` with
    the counts.
    """
    if older_than <= dt.timedelta(0):
        raise ValueError("older_than must be positive")
    c = Cutoffs(
        now=now, regular=now - older_than, training=now - min(older_than, TRAINING_RETENTION)
    )
    report = PurgeReport(dry_run=dry_run, older_than_days=older_than.total_seconds() / 86400)
    with db.session() as session:
        # Conditions are computed against the state before this run and do
        # not depend on each other, so the order only matters for clarity.
        for model, link, columns in LINKED_TO_ALERT:
            where = linked_condition(model, link, columns, c)
            erased = _apply(session, model, where, dict.fromkeys(columns), dry_run)
            report.linked_erased[str(model.__tablename__)] = erased
        report.conversations_deleted = _apply(
            session, Conversation, deletable_conversations(c), None, dry_run
        )
        report.messages_erased = _apply(
            session, Message, erasable_messages(c), {"body": None}, dry_run
        )
        placeholder = literal("erased:", String).concat(cast(Contact.id, String))
        report.contacts_erased = _apply(
            session,
            Contact,
            erasable_contacts(c),
            {"phone": None, "phone_hash": placeholder},
            dry_run,
        )
        report.alerts_erased = _apply(
            session,
            Alert,
            erasable_alerts(c),
            {"landmark": None, "details": None, "erased_at": now},
            dry_run,
        )
        if dry_run:
            session.rollback()
        else:
            counts = ", ".join(f"{k}={v}" for k, v in report.counts().items() if v)
            audit.record(
                session,
                "system",
                "retention.purge",
                "retention",
                f"{report.older_than_days:g} days",
                (counts or "nothing to erase")[:200],
            )
    log.info("retention_purge", **report.as_dict())
    return report


def retention_days(settings: Any) -> int:
    """``RETENTION_DAYS`` from the settings (default 90); at least 1."""
    value = getattr(settings, "RETENTION_DAYS", None)
    if value is None:
        extra = getattr(settings, "extra", {}) or {}
        value = extra.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    days = int(value)
    if days < 1:
        raise ValueError(f"RETENTION_DAYS must be at least 1, got {days}")
    return days


def purge_job() -> dict[str, Any]:
    """RQ job: purge with the configured ``RETENTION_DAYS``; returns the report."""
    rt = runtime.current()
    days = retention_days(rt.settings)
    report = purge(rt.db, now=utcnow(), older_than=dt.timedelta(days=days), dry_run=False)
    return report.as_dict()
