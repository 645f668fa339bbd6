"""Retention: erase personal data after ``RETENTION_DAYS``, keep anonymous counts.

:func:`purge` (daily, as the RQ job :func:`purge_job`, or ``relais purge``)
erases, for a period ``P`` (``RETENTION_DAYS``, default 90 days):

* **alerts** closed more than ``P`` ago: landmark and details → NULL,
  ``erased_at`` set. Concern, place, age band, sex, risk and dates stay, so
  statistics still add up;
* **message bodies** older than ``P``, except for people with an alert still
  open (a message still waiting to be handled or sent is never touched);
* **phone numbers** of contacts with no open alert, not a focal point, and
  no activity (any message, creation) within ``P``: ``phone`` → NULL and
  ``phone_hash`` → ``erased:<id>``, which no keyed hash can equal, so the
  number can no longer be found; the row stays for counts. If the person
  writes again, a new contact is created;
* **conversations** (their state holds every answer) finished, abandoned or
  paused more than ``P`` ago, active ones that expired more than ``P`` ago,
  and those of erased alerts: the rows are deleted;
* **training data** (the simulator, demos): the same, after one day
  (or ``P`` when shorter), whatever the alert's status.

Each rule is one SQL statement whose condition does not depend on the
others' effects, so a dry run (``SELECT count(*)`` with the same conditions)
reports exactly what a real run would do. A new table with encrypted free text
tied to an alert is one line in :data:`LINKED_TO_ALERT` (referral notes are);
a new kind of contact that must keep its number is one line in
:data:`KEEP_CONTACTS`; an encrypted column deliberately kept goes in
:data:`NOT_PURGED`. A test fails when an encrypted column is in none of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    String,
    and_,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)

from gateway import audit, runtime
from gateway.db import Base, Database, utcnow
from gateway.logs import get_logger
from gateway.models import Alert, Contact, Conversation, Message
from gateway.models.message import Status
from gateway.models.referral import FocalPointRecord, Referral, ReferralEvent

log = get_logger(__name__)

DEFAULT_RETENTION_DAYS = 90
TRAINING_RETENTION = dt.timedelta(days=1)
# Messages still on their way: never erased (the worker needs body and number).
IN_FLIGHT = (Status.RECEIVED, Status.HANDLING, Status.QUEUED, Status.RETRYING, Status.SENDING)
FINISHED_CONVERSATIONS = ("abandoned", "completed", "paused")


@dataclass(frozen=True)
class Cutoffs:
    """Instants before which data is erased (regular and training data)."""

    now: dt.datetime
    regular: dt.datetime
    training: dt.datetime


def _open_alert_contacts(_c: Cutoffs) -> Select[Any]:
    return select(Alert.contact_id).where(
        Alert.status != "closed", Alert.is_training.is_(False), Alert.contact_id.is_not(None)
    )


def _in_flight_contacts(_c: Cutoffs) -> Select[Any]:
    return select(Message.contact_id).where(Message.status.in_([s.value for s in IN_FLIGHT]))


def _focal_point_contacts(_c: Cutoffs) -> Select[Any]:
    return select(FocalPointRecord.contact_id).where(FocalPointRecord.removed.is_(False))


# Contacts whose number must stay, whatever their last activity: one query each.
KEEP_CONTACTS: list[Callable[[Cutoffs], Select[Any]]] = [
    _open_alert_contacts,
    _in_flight_contacts,
    _focal_point_contacts,
]

Link = Callable[[Select[Any]], ColumnElement[bool]]


def through(*keys: Any) -> Link:
    """A condition "the row belongs to one of these alerts", following keys to ``alerts.id``.

    ``through(Referral.alert_id)`` for a direct key;
    ``through(ReferralEvent.referral_id, Referral.alert_id)`` via ``referrals``.
    """

    def condition(alert_ids: Select[Any]) -> ColumnElement[bool]:
        ids: Select[Any] = alert_ids
        for key in reversed(keys[1:]):
            (pk,) = key.class_.__table__.primary_key.columns
            ids = select(pk).where(key.in_(ids))
        result: ColumnElement[bool] = keys[0].in_(ids)
        return result

    return condition


# Encrypted free text in rows tied to an alert, erased with it:
# (model, how it links to the alert, names of the columns to clear).
LINKED_TO_ALERT: list[tuple[type[Base], Link, tuple[str, ...]]] = [
    (ReferralEvent, through(ReferralEvent.referral_id, Referral.alert_id), ("note",)),
]

# Encrypted columns deliberately outside the purge, with the reason.
NOT_PURGED: dict[tuple[str, str], str] = {
    ("directory_versions", "document"): "staff directory history (focal points' work numbers)",
    ("focal_points", "name"): "the directory in force (staff, not reporters)",
}


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


def covered_columns() -> set[tuple[str, str]]:
    """``(table, column)`` of every encrypted column this module erases, deletes or exempts."""
    covered = {
        ("alerts", "landmark"),
        ("alerts", "details"),
        ("messages", "body"),
        ("contacts", "phone"),
        ("conversations", "state"),
    }
    for model, _link, columns in LINKED_TO_ALERT:
        covered.update((str(model.__tablename__), c) for c in columns)
    return covered | set(NOT_PURGED)


def _erasable_alerts(c: Cutoffs) -> ColumnElement[bool]:
    ended = func.coalesce(Alert.closed_at, Alert.created_at)
    return and_(
        Alert.erased_at.is_(None),
        or_(
            and_(Alert.is_training.is_(False), Alert.status == "closed", ended < c.regular),
            and_(Alert.is_training.is_(True), Alert.created_at < c.training),
        ),
    )


def _erased_or_erasable_alert_ids(c: Cutoffs) -> Select[Any]:
    return select(Alert.id).where(or_(Alert.erased_at.is_not(None), _erasable_alerts(c)))


def _kept_contacts(c: Cutoffs) -> ColumnElement[bool]:
    return or_(*(Contact.id.in_(query(c)) for query in KEEP_CONTACTS))


def _erasable_messages(c: Cutoffs) -> ColumnElement[bool]:
    open_cases = _open_alert_contacts(c)
    return and_(
        Message.body.is_not(None),
        Message.status.not_in([s.value for s in IN_FLIGHT]),
        or_(
            and_(
                Message.is_training.is_(False),
                Message.created_at < c.regular,
                Message.contact_id.not_in(open_cases),
            ),
            and_(Message.is_training.is_(True), Message.created_at < c.training),
        ),
    )


def _inactive_since(cutoff: dt.datetime) -> ColumnElement[bool]:
    recent = select(Message.contact_id).where(Message.created_at >= cutoff)
    return and_(
        func.coalesce(Contact.last_seen_at, Contact.created_at) < cutoff,
        Contact.id.not_in(recent),
    )


def _erasable_contacts(c: Cutoffs) -> ColumnElement[bool]:
    return and_(
        Contact.phone.is_not(None),
        ~_kept_contacts(c),
        or_(
            and_(Contact.is_training.is_(False), _inactive_since(c.regular)),
            and_(Contact.is_training.is_(True), _inactive_since(c.training)),
        ),
    )


def _deletable_conversations(c: Cutoffs) -> ColumnElement[bool]:
    training = select(Contact.id).where(Contact.is_training.is_(True))
    return or_(
        and_(Conversation.status.in_(FINISHED_CONVERSATIONS), Conversation.updated_at < c.regular),
        and_(Conversation.status == "active", Conversation.expires_at < c.regular),
        and_(Conversation.contact_id.in_(training), Conversation.updated_at < c.training),
        Conversation.alert_id.in_(_erased_or_erasable_alert_ids(c)),
    )


def _linked_condition(model: type[Base], link: Link, columns: tuple[str, ...], c: Cutoffs) -> Any:
    attrs = [getattr(model, name) for name in columns]
    return and_(link(_erased_or_erasable_alert_ids(c)), or_(*(a.is_not(None) for a in attrs)))


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
    """Erase personal data older than ``older_than`` (see the module docstring).

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
            where = _linked_condition(model, link, columns, c)
            erased = _apply(session, model, where, dict.fromkeys(columns), dry_run)
            report.linked_erased[str(model.__tablename__)] = erased
        report.conversations_deleted = _apply(
            session, Conversation, _deletable_conversations(c), None, dry_run
        )
        report.messages_erased = _apply(
            session, Message, _erasable_messages(c), {"body": None}, dry_run
        )
        placeholder = literal("erased:", String).concat(cast(Contact.id, String))
        report.contacts_erased = _apply(
            session,
            Contact,
            _erasable_contacts(c),
            {"phone": None, "phone_hash": placeholder},
            dry_run,
        )
        report.alerts_erased = _apply(
            session,
            Alert,
            _erasable_alerts(c),
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
