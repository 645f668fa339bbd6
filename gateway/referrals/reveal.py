"""Who may be given the reporter's number by SMS: the rule behind INFO.

The reporter's number goes only to the focal point who accepted the case
themselves (their own OK: staff accepting for them in the console, or
assigning them a case someone else accepted, does not count until they answer
OK), and only when the reporter consented to a call back. For a training
referral, only a simulated phone's number is ever given: a training alert
sent from a real person's number (``relais simulate --number``) keeps it
hidden, because the simulator shows these SMS to trainers.

The console's rule (staff of the holding agency may reveal, audited) is
:func:`gateway.console.cases.may_reveal`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.models import Referral
from gateway.referrals.actions import SMS
from gateway.referrals.lookups import is_simulated_phone
from gateway.referrals.notes import OWN_OK


@dataclass(frozen=True)
class SmsReveal:
    """What an INFO answer may carry: the number, or why it does not."""

    number: str | None
    # The number would be given after their own OK (staff accepted for them).
    ask_ok: bool


def accepted_themselves(referral: Referral, fp_id: str) -> bool:
    """True when ``fp_id`` accepted ``referral`` themselves by SMS: the newest
    acceptance is theirs, or they answered OK since (``OWN_OK``).

    Staff accepting for them in the console, or assigning them a case someone
    else accepted, does not count: the reporter's number goes only to the
    focal point who accepted, never because someone accepted for them.
    """
    for event in reversed(referral.events):
        if event.channel == SMS and event.actor == fp_id and event.note == OWN_OK:
            return True
        if event.event == "accept":
            return event.channel == SMS and event.actor == fp_id
    return False


def for_info(session: Session, referral: Referral, fp_id: str) -> SmsReveal:
    """The reporter's number that focal point ``fp_id``'s INFO may carry, if any."""
    alert = referral.alert
    contact = alert.contact
    shareable = bool(
        referral.accepted_by == fp_id
        and alert.consent_callback
        and contact is not None
        # A demo never carries a real person's number to the simulator's phones.
        and (not alert.is_training or is_simulated_phone(session, contact))
    )
    own_ok = accepted_themselves(referral, fp_id)
    number = contact.phone if shareable and own_ok and contact is not None else None
    return SmsReveal(number=number, ask_ok=shareable and not own_ok)
