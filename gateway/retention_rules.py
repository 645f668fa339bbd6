"""The retention rules: which rows the purge erases, one SQL condition each.

:func:`gateway.retention.purge` runs these rules; this module only says which
rows each one reaches, given the :class:`Cutoffs` (``regular`` is ``now``
minus the period ``P``, ``RETENTION_DAYS``; ``training`` is ``now`` minus one
day, or ``P`` when shorter). Kept apart from the run (transaction, dry run,
audit, setting) so that what personal data goes, and when, reads in one place:

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
* **training data** (the simulator, demos): the same, after the training
  cutoff, whatever the alert's status.

Each rule's condition does not depend on the others' effects, so a dry run
(``SELECT count(*)`` with the same conditions) reports exactly what a real run
would do. A new table with encrypted free text tied to an alert is one line in
:data:`LINKED_TO_ALERT` (referral notes are); a new kind of contact that must
keep its number is one line in :data:`KEEP_CONTACTS`; an encrypted column
deliberately kept goes in :data:`NOT_PURGED`. A test fails when an encrypted
column is in none of them (:func:`covered_columns`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, func, or_, select

from gateway.db import Base
from gateway.models import Alert, Contact, Conversation, Message
from gateway.models.message import Status
from gateway.models.referral import FocalPointRecord, Referral, ReferralEvent

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
        # EXISTS, correlated key by key, rather than IN (list of ids): the
        # list of erased alerts only grows, and PostgreSQL stops hashing an
        # IN list once it outgrows work_mem (then it rescans it for every row).
        found: ColumnElement[bool] = exists(
            alert_ids.where(alert_ids.selected_columns[0] == keys[-1])
        )
        for key, next_key in zip(reversed(keys[:-1]), reversed(keys[1:]), strict=True):
            (pk,) = next_key.class_.__table__.primary_key.columns
            found = exists(select(pk).where(pk == key, found))
        return found

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


def covered_columns() -> set[tuple[str, str]]:
    """``(table, column)`` of every encrypted column the purge erases, deletes or exempts."""
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


def erasable_alerts(c: Cutoffs) -> ColumnElement[bool]:
    """Alerts whose free text goes: closed before the cutoff (training: created before it)."""
    ended = func.coalesce(Alert.closed_at, Alert.created_at)
    return and_(
        Alert.erased_at.is_(None),
        or_(
            and_(Alert.is_training.is_(False), Alert.status == "closed", ended < c.regular),
            and_(Alert.is_training.is_(True), Alert.created_at < c.training),
        ),
    )


def _erased_or_erasable_alert_ids(c: Cutoffs) -> Select[Any]:
    return select(Alert.id).where(or_(Alert.erased_at.is_not(None), erasable_alerts(c)))


def holds(ids: Select[Any], key: Any) -> Exists:
    """``EXISTS`` (the one-column query ``ids`` returns ``key``): ``key IN ids``, correlated.

    Every rule says "in" and "not in" this way. A ``NOT IN (subquery)`` is
    hashed by PostgreSQL only while the list fits in ``work_mem``; past that
    (the messages of a 90-day period at ~900 alerts a day already are) it is
    rescanned for every candidate row: hours for a first purge. ``EXISTS``
    becomes a join or an index look-up, and means the same here (no key is NULL).
    """
    return exists(ids.where(ids.selected_columns[0] == key))


def _kept_contacts(c: Cutoffs) -> ColumnElement[bool]:
    return or_(*(holds(query(c), Contact.id) for query in KEEP_CONTACTS))


def erasable_messages(c: Cutoffs) -> ColumnElement[bool]:
    """Message bodies that go: old, not in flight, not of a person with an open alert."""
    open_cases = _open_alert_contacts(c)
    return and_(
        Message.body.is_not(None),
        Message.status.not_in([s.value for s in IN_FLIGHT]),
        or_(
            and_(
                Message.is_training.is_(False),
                Message.created_at < c.regular,
                ~holds(open_cases, Message.contact_id),
            ),
            and_(Message.is_training.is_(True), Message.created_at < c.training),
        ),
    )


def _inactive_since(cutoff: dt.datetime) -> ColumnElement[bool]:
    recent = select(Message.contact_id).where(Message.created_at >= cutoff)
    return and_(
        func.coalesce(Contact.last_seen_at, Contact.created_at) < cutoff,
        ~holds(recent, Contact.id),
    )


def erasable_contacts(c: Cutoffs) -> ColumnElement[bool]:
    """Contacts whose number goes: inactive since the cutoff and in no :data:`KEEP_CONTACTS`."""
    return and_(
        Contact.phone.is_not(None),
        ~_kept_contacts(c),
        or_(
            and_(Contact.is_training.is_(False), _inactive_since(c.regular)),
            and_(Contact.is_training.is_(True), _inactive_since(c.training)),
        ),
    )


def deletable_conversations(c: Cutoffs) -> ColumnElement[bool]:
    """Conversations deleted: finished or expired before the cutoff, or of an erased alert."""
    training = select(Contact.id).where(Contact.is_training.is_(True))
    return or_(
        and_(Conversation.status.in_(FINISHED_CONVERSATIONS), Conversation.updated_at < c.regular),
        and_(Conversation.status == "active", Conversation.expires_at < c.regular),
        and_(holds(training, Conversation.contact_id), Conversation.updated_at < c.training),
        holds(_erased_or_erasable_alert_ids(c), Conversation.alert_id),
    )


def linked_condition(model: type[Base], link: Link, columns: tuple[str, ...], c: Cutoffs) -> Any:
    """Rows of a :data:`LINKED_TO_ALERT` table with text left, tied to an erased(-able) alert."""
    attrs = [getattr(model, name) for name in columns]
    return and_(link(_erased_or_erasable_alert_ids(c)), or_(*(a.is_not(None) for a in attrs)))
