"""What an action on a referral needs before it changes anything.

:mod:`gateway.referrals.actions` calls these first; the console calls them
alone to ask staff to confirm a close or a transfer (nothing is changed until
they do), so the confirmation never offers what the action would refuse.
Each check raises :class:`ActionError` (a wrong choice) or
:class:`~gateway.referrals.lifecycle.LifecycleError` (the status does not
allow the event) and has no side effect.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.models import Referral
from gateway.referrals import chain, store
from gateway.referrals.directory import Agency, Directory
from gateway.referrals.facts import alert_facts
from gateway.referrals.lifecycle import apply
from gateway.referrals.outcomes import OUTCOMES
from gateway.referrals.routing import Recipient, people_for


class ActionError(ValueError):
    """An action that cannot be done for a reason other than the lifecycle.

    ``code``: ``no_directory``, ``unknown_agency``, ``same_agency``,
    ``nobody_at_agency``, ``unknown_focal_point``, ``bad_outcome``, ``empty``,
    ``too_long``, ``no_reporter`` (no number, opted out or blocked),
    ``already_accepted``.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def directory_in_force(session: Session) -> Directory:
    """The directory in force (``ActionError("no_directory")`` without one)."""
    directory = store.current(session)
    if directory is None:
        raise ActionError("no_directory")
    return directory


def target_agency(directory: Directory, referral: Referral, agency_id: str) -> Agency:
    """The directory's agency ``agency_id``, when ``referral`` may be transferred to it."""
    target = directory.agency(agency_id.strip().lower())
    if target is None:
        raise ActionError("unknown_agency")
    if target.id == referral.agency_id:
        raise ActionError("same_agency")
    return target


def transfer_plan(
    session: Session, referral: Referral, agency_id: str
) -> tuple[Directory, Agency, list[Recipient]]:
    """The directory, the agency and its people that a transfer of ``referral`` would use."""
    directory = directory_in_force(session)
    target = target_agency(directory, referral, agency_id)
    facts = alert_facts(referral.alert)
    people, _why, _notes = people_for(
        target, store.places(session), facts, target.escalation.delay(facts.risk)
    )
    if first_reachable(session, people) is None:  # the case would wait there on nobody
        raise ActionError("nobody_at_agency")
    apply(referral.status, "transfer")
    return directory, target, people


def first_reachable(session: Session, people: list[Recipient]) -> str | None:
    """The id of the first of ``people`` who may be texted (whom a new referral texts).

    Active in the directory is not enough: a number that opted out, is blocked
    or was reported invalid is skipped (:func:`gateway.referrals.chain.first_reachable_index`).
    """
    index = chain.first_reachable_index(session, [person.focal_point_id for person in people])
    return None if index is None else people[index].focal_point_id


def check_close(referral: Referral, outcome: str) -> None:
    """Raise unless ``referral`` may be closed with ``outcome`` (one of ``OUTCOMES``)."""
    if outcome not in OUTCOMES:
        raise ActionError("bad_outcome")
    apply(referral.status, "close")
