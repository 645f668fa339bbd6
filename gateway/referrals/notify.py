"""Notifying a referral's people, within the caller's session.

:func:`open_referral` creates a referral to an agency (and its webhook
delivery) and texts the first reachable person of its chain;
:func:`send_to_person` texts the person at a level of the chain and starts
the escalation timer; :func:`accepted_for` tells a focal point that staff
accepted a referral for them in the console. Sending is an outbox row, queued after commit. The
routing and escalation jobs (:mod:`gateway.referrals.service`) and the staff
and focal-point actions (:mod:`gateway.referrals.actions`) call these; the
jobs themselves stay in ``service``, where RQ finds them by module path.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.orm import Session, joinedload

from gateway import runtime
from gateway.aftercommit import defer
from gateway.db import utcnow
from gateway.logs import get_logger
from gateway.models import Alert, FocalPointRecord, Referral, ReferralEvent
from gateway.outbox import queue_outbound
from gateway.referrals.chain import language_at, reachable, reachable_level
from gateway.referrals.directory import Directory
from gateway.referrals.facts import alert_facts, referral_facts
from gateway.referrals.lifecycle import transition
from gateway.referrals.routing import Recipient
from gateway.referrals.texts import referral_sms, reply

log = get_logger(__name__)


def sms_channel(alert: Alert) -> str:
    """Training alerts only ever use the sandbox; real ones the configured provider."""
    return "sandbox" if alert.is_training else runtime.current().settings.SMS_PROVIDER


def answer_window(directory: Directory, referral: Referral) -> dt.timedelta:
    """How long the person texted has to answer: the agency's escalation delay for the risk."""
    escalation = directory.escalation_for(referral.agency_id)
    return dt.timedelta(seconds=escalation.delay(alert_facts(referral.alert).risk))


def send_to_person(
    session: Session, directory: Directory, referral: Referral, level: int, text: str
) -> bool:
    """Text the person at ``level`` of the chain and start the escalation timer."""
    people = referral.people
    record = session.get(FocalPointRecord, people[level]["focal_point_id"])
    if record is None or not reachable(record):
        log.warning("focal_point_unreachable", referral_id=referral.id, level=level)
        return False
    alert = referral.alert
    queue_outbound(
        session,
        contact=record.contact_id,  # the number stays encrypted until the send
        text=text,
        channel=sms_channel(alert),
        kind="referral",
        queue="urgent",  # a child may be in danger: ahead of every other send
        training=alert.is_training,
        flush=False,
    )
    now = utcnow()
    referral.level, referral.focal_point_id, referral.notified_at = level, record.id, now
    referral.answer_by = now + answer_window(directory, referral)
    referral.due_at = None
    if level + 1 < len(people):
        # The escalation job is with the other jobs, in a module that imports this one.
        from gateway.referrals.service import schedule_escalation

        referral.due_at = referral.answer_by
        due, referral_id = referral.due_at, referral.id
        defer(
            session, lambda: schedule_escalation(runtime.current().redis, referral_id, level, due)
        )
    return True


def open_referral(
    session: Session,
    directory: Directory,
    alert: Alert,
    agency_id: str,
    rule_id: str | None,
    recipients: list[Recipient],
    *,
    actor: str,
    channel: str,
) -> Referral:
    """Create a referral to ``agency_id`` and text its first person."""
    chain = [
        {"focal_point_id": r.focal_point_id, "role": r.role, "after_seconds": r.after_seconds}
        for r in recipients
    ]
    agency = directory.agency(agency_id)
    # Training alerts never leave Relais; a real one's delivery is recorded so
    # that the sweeper can queue it again if Redis loses the job.
    hook = agency.webhook if agency is not None and not alert.is_training else None
    # An example address (the demo directory's) is recorded as such, never called.
    example = hook is not None and hook.is_example
    hooked = hook is not None and not example
    referral = Referral(
        alert=alert,
        agency_id=agency_id,
        rule_id=rule_id,
        status="new",
        chain=json.dumps(chain),
        level=0,
        is_training=alert.is_training,
        webhook_status="pending" if hooked else ("example" if example else None),
        events=[],  # a new referral has none: no SELECT when the first is added
    )
    session.add(referral)
    session.flush()
    if hooked:  # even with nobody to text: the agency's own system hears of it
        from gateway.referrals.webhook import enqueue_delivery

        referral_id = referral.id
        defer(session, lambda: enqueue_delivery(runtime.current().redis, referral_id))
    # Held in a variable so that send_to_person finds the row in the session's
    # identity map, which holds rows only weakly, instead of reading it again.
    first = (
        session.get(
            FocalPointRecord,
            recipients[0].focal_point_id,
            options=[joinedload(FocalPointRecord.contact)],
        )
        if recipients
        else None
    )
    level = 0 if reachable(first) else reachable_level(session, referral, 1)
    lang = language_at(session, referral, level) if level is not None else "fr"
    text = referral_sms(referral_facts(alert), lang)
    if level is None or not send_to_person(session, directory, referral, level, text):
        referral.events.append(
            ReferralEvent(
                event="note",
                from_status="new",
                to_status="new",
                actor="system",
                channel="system",
                note="nobody to notify in this agency",
                at=utcnow(),
            )
        )
        log.error("referral_without_recipient", referral_id=referral.id, agency=agency_id)
        return referral
    transition(referral, "notify", actor=actor, channel=channel)
    return referral


def accepted_for(session: Session, referral: Referral, record: FocalPointRecord) -> bool:
    """Tell ``record`` that staff accepted ``referral`` for them in the console.

    One SMS in their language with the reference and how to close it: no
    name, no reporter's number (False when they cannot be texted).
    """
    if not reachable(record):
        log.warning("focal_point_unreachable", referral_id=referral.id, focal_point=record.id)
        return False
    alert = referral.alert
    queue_outbound(
        session,
        contact=record.contact_id,
        text=reply("accepted_in_console", record.language, reference=alert.reference),
        channel=sms_channel(alert),
        kind="referral",
        training=alert.is_training,
        flush=False,
    )
    return True
