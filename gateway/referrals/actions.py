"""What can be done to a referral, whoever does it: focal points by SMS, staff in the console.

Every function runs inside the caller's database session, moves the referral
through the lifecycle (:func:`gateway.referrals.lifecycle.transition`, which
raises :class:`~gateway.referrals.lifecycle.LifecycleError` for an event the
status does not allow, before anything changes) and records a referral event
with ``actor`` and ``channel`` (``"sms"``, ``"console"``, ``"system"``). The
side effects follow the transition: the reporter is told (only when they asked
for SMS updates), reminders start, the next person or agency is texted.

Who may act (the focal point the referral was sent to, the console user's
role and agency) is the caller's business: :mod:`gateway.referrals.focal`
checks focal points, the console checks permissions. What an action checks
before it changes anything (and :class:`ActionError`) is in
:mod:`gateway.referrals.checks`, which the console also uses alone to ask
staff to confirm a close or a transfer.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db import utcnow
from gateway.encoding import prepare
from gateway.logs import get_logger
from gateway.models import Alert, FocalPointRecord, Message, Referral
from gateway.outbox import queue_outbound
from gateway.referrals import chain, notes, notify, service, store
from gateway.referrals.checks import ActionError as ActionError
from gateway.referrals.checks import check_close, directory_in_force, transfer_plan
from gateway.referrals.facts import alert_facts, referral_facts
from gateway.referrals.lifecycle import ACCEPTED, NEW, REJECTED, transition
from gateway.referrals.routing import people_for
from gateway.referrals.texts import referral_sms, reporter_text

log = get_logger(__name__)

SMS, CONSOLE, SYSTEM = "sms", "console", "system"
# A console reply to a reporter: one SMS (GSM-7 after folding), prefixed with the reference.
REPLY_SEGMENTS = 1


def current_referral(session: Session, alert: Alert) -> Referral | None:
    """The referral that holds ``alert`` now: its newest one (None before routing)."""
    return session.scalars(
        select(Referral).where(Referral.alert_id == alert.id).order_by(Referral.id.desc()).limit(1)
    ).first()


def accept(
    session: Session, referral: Referral, actor: str, channel: str, *, holder: str | None = None
) -> bool:
    """Accept ``referral``: ``holder`` (default ``actor``) takes responsibility for it.

    The reporter is told a social worker is on it (when they asked for
    updates) and the reminder timer starts. Staff accepting in the console
    for a focal point (``holder``) are the event's actor, the note says for
    whom, and that focal point is told by SMS (never the reporter's number:
    only a focal point's own OK and INFO may give it, see ``focal``).
    False when that SMS could not be sent (their number cannot receive).
    """
    holder = (holder or actor)[:64]
    if referral.status == ACCEPTED and referral.accepted_by != holder:
        raise ActionError("already_accepted")
    for_someone = channel == CONSOLE and holder != actor
    note = notes.console_accept_note(referral.agency_id, holder) if for_someone else None
    transition(referral, "accept", actor=actor, channel=channel, note=note)
    referral.accepted_by, referral.accepted_at, referral.due_at = holder, utcnow(), None
    record = session.get(FocalPointRecord, holder)
    told = True
    if record is not None:
        referral.focal_point_id = holder
        if for_someone:
            told = notify.accepted_for(session, referral, record)
    if referral.alert.status != "in_progress":  # once: not again after a transfer
        referral.alert.status = "in_progress"
        notify_reporter(session, referral.alert, "handled")
    directory = store.current(session)
    if directory is not None:
        service.start_reminders(session, directory, referral)
    return told


def reject(
    session: Session, referral: Referral, actor: str, channel: str, reason: str | None = None
) -> bool:
    """Refuse ``referral``: it goes to the next person of the chain, else the fallback agency.

    False when nobody is left: the referral stays ``rejected`` (see :func:`reroute`).
    """
    transition(referral, "reject", actor=actor, channel=channel, note=reason)
    return reroute(session, referral)


def note(session: Session, referral: Referral, text: str, actor: str, channel: str) -> None:
    """Add a note to ``referral`` (changes nothing else).

    A note reading like one Relais writes is stored quoted
    (:func:`gateway.referrals.notes.person_note`): ``NOTE REF OK by SMS`` must
    not pass for the focal point's own OK.
    """
    text = text.strip()
    if not text:
        raise ActionError("empty")
    transition(referral, "note", actor=actor, channel=channel, note=notes.person_note(text))


def transfer(
    session: Session, referral: Referral, agency_id: str, actor: str, channel: str
) -> Referral:
    """Hand ``referral`` to the agency ``agency_id``; returns the new referral opened there."""
    directory, target, people = transfer_plan(session, referral, agency_id)
    transition(referral, "transfer", actor=actor, channel=channel, note=target.id)
    referral.due_at = referral.reminder_due_at = None
    return notify.open_referral(
        session, directory, referral.alert, target.id, None, people, actor=actor, channel=channel
    )


def close(
    session: Session,
    referral: Referral,
    outcome: str,
    actor: str,
    channel: str,
    *,
    note_text: str | None = None,
) -> None:
    """Close ``referral`` with ``outcome`` (one of ``OUTCOMES``); the reporter is told."""
    check_close(referral, outcome)
    transition(referral, "close", actor=actor, channel=channel, note=note_text or None)
    now = utcnow()
    referral.outcome, referral.closed_at, referral.reminder_due_at = outcome, now, None
    referral.alert.status, referral.alert.closed_at = "closed", now
    notify_reporter(session, referral.alert, "closed")


def assign(
    session: Session, referral: Referral, focal_point_id: str, actor: str, channel: str
) -> None:
    """Send ``referral`` to another focal point of its agency (the referral SMS again).

    Recorded as a note (the lifecycle's event for a change of person). An
    accepted referral changes hands: the new person holds it and is reminded.
    """
    directory = directory_in_force(session)
    record = session.get(FocalPointRecord, focal_point_id)
    if not chain.reachable(record) or record is None or record.agency_id != referral.agency_id:
        raise ActionError("unknown_focal_point")
    # A referral nobody holds (refused by everyone, or nobody was active to
    # notify) is taken up again through this person.
    event = {REJECTED: "reroute", NEW: "notify"}.get(referral.status, "note")
    transition(referral, event, actor=actor, channel=channel, note=f"assigned to {record.id}")
    people = referral.people
    if record.id not in [p["focal_point_id"] for p in people]:
        people.append({"focal_point_id": record.id, "role": "assigned", "after_seconds": 0})
        referral.chain = json.dumps(people)
    level = [p["focal_point_id"] for p in people].index(record.id)
    text = referral_sms(referral_facts(referral.alert), record.language)
    notify.send_to_person(session, directory, referral, level, text)
    if referral.status == ACCEPTED:
        referral.due_at = None
        referral.accepted_by = record.id
        service.start_reminders(session, directory, referral)


def reroute(session: Session, referral: Referral) -> bool:
    """After a rejection: the next person of the chain, else the fallback agency.

    Returns False when there is neither: the referral stays ``rejected``, with
    nobody holding the case, until staff transfer or assign it (the system
    status counts these cases as a problem).
    """
    directory = store.current(session)
    if directory is None:
        return False
    nxt = chain.reachable_level(session, referral, referral.level + 1)
    if nxt is not None:
        transition(referral, "reroute", actor=SYSTEM, channel=SYSTEM)
        text = referral_sms(
            referral_facts(referral.alert), chain.language_at(session, referral, nxt)
        )
        notify.send_to_person(session, directory, referral, nxt, text)
        return True
    referral.due_at = None
    fallback = directory.agency(directory.fallback_agency)
    if fallback is None or fallback.id == referral.agency_id:
        log.warning("referral_refused_by_all", referral=referral.id, agency=referral.agency_id)
        return False
    facts = alert_facts(referral.alert)
    people, _why, _notes = people_for(
        fallback, store.places(session), facts, fallback.escalation.delay(facts.risk)
    )
    opened = notify.open_referral(
        session, directory, referral.alert, fallback.id, None, people, actor=SYSTEM, channel=SYSTEM
    )
    return opened.status != NEW  # "new": nobody of the fallback could be texted


def reporter_channel(alert: Alert) -> str:
    """The channel to text the reporter on: the alert's (the sandbox for training)."""
    return "sandbox" if alert.is_training else alert.channel


def notify_reporter(session: Session, alert: Alert, code: str) -> Message | None:
    """Tell the reporter (``handled``, ``closed``...), when they agreed to SMS updates."""
    contact = alert.contact
    if contact is None or not wants_updates(alert):
        return None
    return queue_outbound(
        session,
        contact=contact,
        text=reporter_text(code, alert.language, alert.reference),
        channel=reporter_channel(alert),
        kind="notification",
        training=alert.is_training,
    )


def wants_updates(alert: Alert) -> bool:
    """True when the reporter agreed to SMS updates and has not opted out since."""
    contact = alert.contact
    return bool(alert.consent_messages and contact is not None and not contact.opted_out)


def reply_text(alert: Alert, text: str) -> str:
    """The SMS a console reply becomes: the reference first, then ``text``, one line."""
    return f"Relais {alert.reference}: {' '.join(text.split())}"


def can_reply(alert: Alert) -> bool:
    """True when the reporter may be texted by staff.

    They asked for SMS updates, have a number, did not opt out (STOP) and are
    not blocked.
    """
    contact = alert.contact
    return bool(
        alert.consent_messages
        and contact is not None
        and contact.phone
        and not contact.opted_out
        and not contact.blocked
        and not contact.invalid_number
    )


def reply_to_reporter(
    session: Session, referral: Referral, text: str, actor: str, channel: str
) -> Message:
    """Text the reporter of ``referral``'s alert (one SMS), through the outbox.

    Recorded as a note on the referral (so a closed referral refuses it).
    """
    alert = referral.alert
    if not text.strip():
        raise ActionError("empty")
    contact = alert.contact
    if contact is None or not can_reply(alert):
        raise ActionError("no_reporter")
    info = prepare(reply_text(alert, text))
    if info.segments > REPLY_SEGMENTS:
        raise ActionError("too_long")
    transition(referral, "note", actor=actor, channel=channel, note="SMS to the reporter")
    # Their answer goes to this case. Not a demo's reply to a real person's
    # number (`relais simulate --number`): their next real SMS, a new report
    # perhaps, would be taken for an answer and noted on their real case.
    if contact.is_training == alert.is_training:
        contact.staff_asked_at = utcnow()
    return queue_outbound(
        session,
        contact=contact,
        text=info.text,
        channel=reporter_channel(alert),
        kind="console",
        training=alert.is_training,
    )
