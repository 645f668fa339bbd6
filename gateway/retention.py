"""Retention: erase personal data after ``RETENTION_DAYS``, keep anonymous counts.

:func:`purge` (daily, as the RQ job :func:`purge_job`, or ``relais purge``)
erases, for a period ``P`` (``RETENTION_DAYS``, default 90 days; training data
after one day, or ``P`` when shorter), the free text of closed alerts, message
bodies, the numbers of inactive contacts, old conversations and the encrypted
text of rows tied to erased alerts (referral notes). Which rows each rule reaches is in
:mod:`gateway.retention_rules`; this module runs the rules, counts the same
rows in a dry run, records the audit event and the log line, and reads the
setting.

A real run works in **batches**: each rule's candidates are read once (a
plain read, which blocks nobody), then erased :data:`BATCH` rows at a time,
each batch its own short transaction whose statement checks the rule's
condition again (a row someone touched meanwhile is left alone). A first
purge of a large backlog (millions of rows) therefore never holds a reporter's
row, or SQLite's write lock, for more than one batch; and a run that is
stopped (the job's timeout, a restart) keeps what it erased: the next run
carries on, since an erased row no longer matches its rule. Two runs at once
are harmless: each erases what the other has not, and reports what it erased.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, cast, delete, func, literal, select, update

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
# Rows erased per transaction: a batch takes about 70 ms on PostgreSQL (0.6 s
# at most, measured: docs/benchmarks.md), the longest a live request may wait
# for a row the purge holds.
BATCH = 1000


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


def _statement(model: Any, where: Any, values: dict[str, Any] | None) -> Any:
    statement: Any = delete(model) if values is None else update(model).values(**values)
    return statement.where(where).execution_options(synchronize_session=False)


def _count(db: Database, model: Any, where: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)


def _candidates(db: Database, model: Any, where: Any, batch: int) -> Iterator[list[int]]:
    """The ids of the rows ``where`` reaches now, ``batch`` at a time (each sorted).

    One read, streamed (a server-side cursor on PostgreSQL): no lock that a
    live request could wait for, and a backlog of millions of ids never sits
    in memory at once. No ``ORDER BY id`` (PostgreSQL may then walk the whole
    primary key, or sort millions of ids): sorting each batch is enough for
    two runs at once to lock rows in the same order.
    """
    with db.engine.connect() as conn:
        query = select(model.id).where(where)
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
        for part in result.partitions():
            yield sorted(row[0] for row in part)


def _erase(
    db: Database, model: Any, where: Any, values: dict[str, Any] | None, batch: int
) -> Iterator[int]:
    """Apply one rule in batches, each its own transaction; yields each batch's row count."""
    for ids in _candidates(db, model, where, batch):
        # The rule again, not only the ids: a row changed since it was read
        # (a reporter writing again, a case reopened) is left alone.
        statement = _statement(model, and_(model.id.in_(ids), where), values)
        with db.session() as session:
            result: Any = session.execute(statement)  # a CursorResult: has rowcount
        yield int(result.rowcount)


def _rules(c: Cutoffs, now: dt.datetime) -> list[tuple[str, Any, Any, dict[str, Any] | None]]:
    """Every rule as (name in the report, model, condition, new values; None deletes).

    Each condition is computed against the state before the run and does not
    depend on the others' effects, so the order only matters for clarity (and
    a dry run, which counts each condition, reports what the run would do).
    """
    rules: list[tuple[str, Any, Any, dict[str, Any] | None]] = [
        (
            f"linked:{model.__tablename__}",
            model,
            linked_condition(model, link, columns, c),
            dict.fromkeys(columns),
        )
        for model, link, columns in LINKED_TO_ALERT
    ]
    placeholder = literal("erased:", String).concat(cast(Contact.id, String))
    rules += [
        ("conversations_deleted", Conversation, deletable_conversations(c), None),
        ("messages_erased", Message, erasable_messages(c), {"body": None}),
        (
            "contacts_erased",
            Contact,
            erasable_contacts(c),
            {"phone": None, "phone_hash": placeholder},
        ),
        (
            "alerts_erased",
            Alert,
            erasable_alerts(c),
            {"landmark": None, "details": None, "erased_at": now},
        ),
    ]
    return rules


def _add(report: PurgeReport, name: str, count: int) -> None:
    if name.startswith("linked:"):
        table = name.removeprefix("linked:")
        report.linked_erased[table] = report.linked_erased.get(table, 0) + count
    else:
        setattr(report, name, getattr(report, name) + count)


def purge(
    db: Database,
    *,
    now: dt.datetime,
    older_than: dt.timedelta,
    dry_run: bool,
    batch: int = BATCH,
) -> PurgeReport:
    """Erase personal data older than ``older_than`` (the rules: :mod:`gateway.retention_rules`).

    Erases in batches of ``batch`` rows, each its own transaction, and
    returns what it erased; with ``dry_run`` it counts the same rows and
    changes nothing. A real run writes one ``retention.purge`` audit event
    (also when it stops half-way: then with what it erased so far) and logs
    ``retention_purge`` with the counts.
    """
    if older_than <= dt.timedelta(0):
        raise ValueError("older_than must be positive")
    c = Cutoffs(
        now=now, regular=now - older_than, training=now - min(older_than, TRAINING_RETENTION)
    )
    report = PurgeReport(dry_run=dry_run, older_than_days=older_than.total_seconds() / 86400)
    rules = _rules(c, now)
    if dry_run:
        for name, model, where, _values in rules:
            _add(report, name, _count(db, model, where))
        log.info("retention_purge", **report.as_dict())
        return report
    try:
        for name, model, where, values in rules:
            _add(report, name, 0)
            for erased in _erase(db, model, where, values, batch):
                _add(report, name, erased)  # kept up to date: see the except below
    except Exception as exc:
        # Batches already committed stay erased: say so in the audit log.
        with contextlib.suppress(Exception):
            _audit(db, report, f" (stopped: {type(exc).__name__})")
        log.error("retention_purge_stopped", error=type(exc).__name__, **report.as_dict())
        raise
    _audit(db, report)
    log.info("retention_purge", **report.as_dict())
    return report


def _audit(db: Database, report: PurgeReport, suffix: str = "") -> None:
    counts = ", ".join(f"{k}={v}" for k, v in report.counts().items() if v)
    with db.session() as session:
        audit.record(
            session,
            "system",
            "retention.purge",
            "retention",
            f"{report.older_than_days:g} days",
            ((counts or "nothing to erase") + suffix)[:200],
        )


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
