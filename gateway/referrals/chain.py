"""Who in a referral's chain may be texted now.

The chain (first focal point, backup, supervisor) is fixed when the referral
opens; people removed from the directory or made inactive since are skipped,
never texted (:mod:`gateway.referrals.service` and ``actions`` ask here).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.models import FocalPointRecord, Referral


def reachable(record: FocalPointRecord | None) -> bool:
    """True for a focal point who may be texted: in the directory and active."""
    return record is not None and not record.removed and record.active


def reachable_level(session: Session, referral: Referral, start: int) -> int | None:
    """The first level from ``start`` whose person may still be texted.

    The chain is fixed when the referral opens; people removed from the
    directory or made inactive since are skipped, never texted.
    """
    people = referral.people
    for level in range(start, len(people)):
        if reachable(session.get(FocalPointRecord, people[level]["focal_point_id"])):
            return level
    return None


def language_at(session: Session, referral: Referral, level: int) -> str:
    """The language to write in to the person at ``level`` of the chain."""
    people = referral.people
    record = session.get(FocalPointRecord, people[level]["focal_point_id"]) if people else None
    return record.language if record else "fr"


def supervisor(session: Session, referral: Referral) -> FocalPointRecord | None:
    """The chain's supervisor, when they may still be texted."""
    for person in referral.people:
        if person["role"] == "supervisor":
            record = session.get(FocalPointRecord, person["focal_point_id"])
            return record if reachable(record) else None
    return None
