"""Which cases a focal point's SMS is about: by reference, theirs, before a transfer.

Read by :mod:`gateway.referrals.focal` (the SMS commands) and by ``relais
simulate``'s own LISTE.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Alert, Referral

OPEN = ("notified", "escalated", "accepted")


def by_reference(session: Session, reference: str) -> Referral | None:
    """The current referral of the alert ``reference`` (its newest)."""
    return session.scalars(
        select(Referral)
        .join(Alert)
        .where(Alert.reference == reference.upper())
        .order_by(Referral.id.desc())
        .limit(1)
    ).first()


def was_theirs(session: Session, referral: Referral, fp_id: str) -> bool:
    """True when an earlier referral of ``referral``'s alert (before a transfer)
    was sent to focal point ``fp_id`` or accepted by them."""
    earlier = session.scalars(
        select(Referral).where(Referral.alert_id == referral.alert_id, Referral.id < referral.id)
    )
    return any(fp_id in r.notified_ids() or r.accepted_by == fp_id for r in earlier)


def open_references(session: Session, fp_id: str, training: bool) -> list[str]:
    """The references of the open cases focal point ``fp_id`` holds, newest first.

    Real and simulator (training) cases never mix: OK on a listed training
    reference from a real phone would answer "unknown reference".
    """
    return list(
        session.scalars(
            select(Alert.reference)
            .join(Referral, Referral.alert_id == Alert.id)
            .where(
                Referral.status.in_(OPEN),
                Referral.is_training.is_(training),
                Referral.held_by(fp_id),
            )
            .order_by(Referral.id.desc())
        )
    )
