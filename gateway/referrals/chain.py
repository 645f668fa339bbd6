"""Who in a referral's chain may be texted now.

The chain (first focal point, backup, supervisor) is fixed when the referral
opens; people removed from the directory or made inactive since, and numbers
that cannot receive, are skipped, never texted
(:mod:`gateway.referrals.notify`, ``service``, ``actions`` and ``checks`` ask here).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from gateway.logs import get_logger
from gateway.models import FocalPointRecord, Referral

log = get_logger(__name__)


def reachable(record: FocalPointRecord | None) -> bool:
    """True for a focal point who may be texted: in the directory, active, and
    with a number we can send to.

    A number marked blocked, invalid or opted out (a STOP sent as a reporter
    before being listed, a provider's 21610 or blacklist report) would have
    the referral SMS suppressed or refused: the case would wait, silently,
    for its whole escalation delay on someone who never got it.
    """
    if record is None or record.removed or not record.active:
        return False
    contact = record.contact
    if contact.blocked or contact.invalid_number or contact.opted_out:
        log.warning("focal_point_unreachable", focal_point=record.id)
        return False
    return True


def first_reachable_index(
    session: Session, focal_point_ids: Sequence[str], start: int = 0
) -> int | None:
    """The index, from ``start``, of the first of ``focal_point_ids`` who may be texted.

    The one rule for "whom do we text": a new referral's planned people
    (:func:`gateway.referrals.checks.first_reachable`) and a stored chain
    (:func:`reachable_level`) both skip whoever :func:`reachable` refuses.
    """
    for index in range(start, len(focal_point_ids)):
        if reachable(session.get(FocalPointRecord, focal_point_ids[index])):
            return index
    return None


def reachable_level(session: Session, referral: Referral, start: int) -> int | None:
    """The first level from ``start`` whose person may still be texted.

    The chain is fixed when the referral opens; people removed from the
    directory or made inactive since are skipped, never texted.
    """
    return first_reachable_index(session, [p["focal_point_id"] for p in referral.people], start)


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
