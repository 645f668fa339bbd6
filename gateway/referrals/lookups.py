"""Look-ups asked several times per transaction, remembered until it ends.

Handling one SMS asks twice whether its number is a focal point's (the
rate-limit exemption, then the focal-point commands), and routing an alert
asks three times for the directory and places in force. :func:`focal_point_for`
and :func:`newest_key` remember their answers in ``session.info``;
:func:`install` forgets them when a transaction ends, and the store forgets
them at once when it loads a new version (:func:`forget_newest`,
:func:`forget_focal_points`). Kept apart from :mod:`gateway.referrals.store`,
which loads the directory and places, so that the cheap per-message questions
do not depend on the loading code.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from gateway.models import Contact, DirectoryVersion, FocalPointRecord, PlacesVersion

_FOCAL_KEY = "relais_focal_points"
_NEWEST_KEY = "relais_newest_versions"


def newest_key(session: Session, model: type[DirectoryVersion | PlacesVersion]) -> Any:
    """(id, digest) of the newest stored version of ``model``, or None.

    Only the key: the document (kilobytes of YAML) is read when a version is
    not parsed and cached yet, not on every routing and referral text. Asked
    once per transaction (routing an alert asks three times); loading a new
    version forgets it.
    """
    known: dict[str, Any] = session.info.setdefault(_NEWEST_KEY, {})
    if model.__name__ not in known:
        known[model.__name__] = session.execute(
            select(model.id, model.digest).order_by(model.id.desc()).limit(1)
        ).first()
    return known[model.__name__]


def forget_newest(session: Session) -> None:
    """Forget the remembered newest versions (a new version is being stored)."""
    session.info.pop(_NEWEST_KEY, None)


def forget_focal_points(session: Session) -> None:
    """Forget the remembered focal points (who is a focal point is changing)."""
    session.info.pop(_FOCAL_KEY, None)


def focal_point_for(session: Session, contact_id: int) -> FocalPointRecord | None:
    """The (not removed) focal point using this contact's number, if any.

    Remembered for the rest of ``session``'s transaction: handling one SMS
    asks twice (the rate-limit exemption, then the focal-point commands).
    """
    known: dict[int, FocalPointRecord | None] = session.info.setdefault(_FOCAL_KEY, {})
    if contact_id not in known:
        known[contact_id] = session.scalars(
            select(FocalPointRecord).where(
                FocalPointRecord.contact_id == contact_id, FocalPointRecord.removed.is_(False)
            )
        ).first()
    return known[contact_id]


def is_simulated_phone(session: Session, contact: Contact) -> bool:
    """True when ``contact`` is a simulated phone's: a training number no focal point uses.

    A number a real SMS came from is no longer training (``inbound``), and a
    focal point's is directory data even when the simulator used it first:
    neither is ever shown as a simulated reporter's (the simulator's own
    numbers, a training INFO SMS, a trainer's reveal on a training case).
    """
    return contact.is_training and focal_point_for(session, contact.id) is None


def install(sessions: Any) -> None:
    """Forget remembered focal points and versions when a transaction of ``sessions`` ends."""

    @event.listens_for(sessions, "after_transaction_end")
    def _forget_focal_points(session: Session, transaction: SessionTransaction) -> None:
        # A directory load in a later transaction may change who is a focal point.
        if transaction.parent is None:
            session.info.pop(_FOCAL_KEY, None)
            session.info.pop(_NEWEST_KEY, None)


def newest_from(session: Session, source: str) -> Any:
    """(id, digest) of the newest directory version loaded from ``source``, or None."""
    return session.execute(
        select(DirectoryVersion.id, DirectoryVersion.digest)
        .where(DirectoryVersion.source == source)
        .order_by(DirectoryVersion.id.desc())
        .limit(1)
    ).first()
