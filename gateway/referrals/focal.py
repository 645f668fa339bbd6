"""Focal points answer by SMS: OK / NON / INFO / NOTE / TRANSFERT / FIN / LISTE.

Registered as a dispatcher plug-in: an SMS from a focal point's number is a
command, never the start of an alert conversation. Who may do what:

* accept, reject, info, note — anyone the referral was sent to so far (the
  first focal point, then backup and supervisor as it escalated), or who
  accepted it;
* transfer — the holder (who accepted it, or the person it waits on);
* close — only who accepted it.

INFO gives the reporter's number only to the focal point who accepted, and
only when the reporter consented to a call back. Unknown references and
other agencies' references get answers that reveal nothing about the case.
"""

from __future__ import annotations

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import runtime
from gateway.db import utcnow
from gateway.models import Alert, FocalPointRecord, Message, Referral
from gateway.outbox import queue_outbound
from gateway.referrals import service, store
from gateway.referrals.commands import (
    ACCEPT,
    CLOSE,
    HELP,
    INFO,
    LIST,
    NOTE,
    REJECT,
    TRANSFER,
    Command,
    ParseError,
    parse_command,
)
from gateway.referrals.lifecycle import LifecycleError
from gateway.referrals.routing import people_for
from gateway.referrals.texts import error_reply, info_sms, referral_sms, reply, reporter_text
from gateway.runtime import Runtime
from gateway.throttle import lookups_blocked, note_failed_lookup

OPEN = ("notified", "escalated", "accepted")


def handle_focal_sms(session: Session, message: Message) -> list[str] | None:
    """Answer a focal point's SMS command; None when the sender is not a focal point."""
    record = store.focal_point_for(session, message.contact_id)
    if record is None:
        return None
    command = parse_command(message.body or "", default_lang=record.language)
    if isinstance(command, ParseError):
        return [error_reply(command)]
    lang = command.lang
    if command.action == HELP:
        return [reply("help", lang)]
    if command.action == LIST:
        return [reply("list", lang, references=_open_references(session, record))]
    rt = runtime.current()
    if _guessing(rt, record, count=False):
        return [reply("unknown_reference", lang, reference=command.reference)]
    referral = _referral(session, command.reference or "")
    if referral is None:
        _guessing(rt, record, count=True)
        return [reply("unknown_reference", lang, reference=command.reference)]
    if record.id not in referral.notified_ids() and referral.accepted_by != record.id:
        _guessing(rt, record, count=True)
        return [reply("not_yours", lang, reference=command.reference)]
    try:
        return [_act(session, record, referral, command)]
    except LifecycleError:
        return [
            reply(
                "not_allowed",
                lang,
                reference=command.reference,
                action=command.action,
                status=referral.status,
            )
        ]


def _guessing(rt: Runtime, record: FocalPointRecord, *, count: bool) -> bool:
    """Count a failed look-up (``count``); True when this number is past the limit."""
    try:
        if count:
            note_failed_lookup(rt.redis, record.contact_id)
        return lookups_blocked(rt.redis, record.contact_id, rt.settings.LOOKUP_FAILURE_LIMIT)
    except RedisError:
        return False


def _referral(session: Session, reference: str) -> Referral | None:
    """The current referral of the alert ``reference`` (its newest)."""
    return session.scalars(
        select(Referral)
        .join(Alert)
        .where(Alert.reference == reference.upper())
        .order_by(Referral.id.desc())
        .limit(1)
    ).first()


def _open_references(session: Session, record: FocalPointRecord) -> list[str]:
    rows = session.scalars(select(Referral).where(Referral.status.in_(OPEN))).all()
    mine = [
        r
        for r in rows
        if r.accepted_by == record.id or (r.status != "accepted" and r.focal_point_id == record.id)
    ]
    return [r.alert.reference for r in mine]


def _act(session: Session, record: FocalPointRecord, referral: Referral, cmd: Command) -> str:
    ref, lang, alert = referral.alert.reference, cmd.lang, referral.alert
    directory = store.current(session)
    if cmd.action == ACCEPT:
        if referral.status == "accepted" and referral.accepted_by != record.id:
            return reply("already_accepted_by_other", lang, reference=ref)
        service.transition(referral, "accept", actor=record.id, channel="sms")
        referral.accepted_by, referral.accepted_at = record.id, utcnow()
        referral.focal_point_id, referral.due_at = record.id, None
        alert.status = "in_progress"
        _tell_reporter(session, alert, "handled")
        if directory is not None:
            service.start_reminders(session, directory, referral)
        return reply("accepted", lang, reference=ref)
    if cmd.action == REJECT:
        service.transition(referral, "reject", actor=record.id, channel="sms", note=cmd.argument)
        _reroute(session, referral)
        return reply("rejected_rerouted", lang, reference=ref)
    if cmd.action == INFO:
        show = referral.accepted_by == record.id and alert.consent_callback and alert.contact
        number = alert.contact.phone if show and alert.contact else None
        if number is None:
            service.transition(referral, "note", actor=record.id, channel="sms", note="INFO")
        return info_sms(service.referral_facts(alert), lang, number)
    if cmd.action == NOTE:
        service.transition(referral, "note", actor=record.id, channel="sms", note=cmd.argument)
        return reply("note_saved", lang, reference=ref)
    if cmd.action == TRANSFER:
        return _transfer(session, record, referral, cmd)
    if cmd.action == CLOSE:
        if referral.accepted_by != record.id:
            raise LifecycleError(referral.status, "close", [])
        note = " ".join(x for x in (cmd.argument, cmd.raw_note) if x) or None
        service.transition(referral, "close", actor=record.id, channel="sms", note=note)
        referral.outcome, referral.closed_at = cmd.argument, utcnow()
        referral.reminder_due_at = None
        alert.status, alert.closed_at = "closed", utcnow()
        _tell_reporter(session, alert, "closed")
        return reply("closed", lang, reference=ref, outcome=cmd.argument)
    return reply("help", lang)


def _transfer(session: Session, record: FocalPointRecord, referral: Referral, cmd: Command) -> str:
    directory = store.current(session)
    target = directory.agency(cmd.argument or "") if directory else None
    if directory is None or target is None or target.id == referral.agency_id:
        return reply("wrong_syntax", cmd.lang, reference=referral.alert.reference, action=TRANSFER)
    service.transition(referral, "transfer", actor=record.id, channel="sms", note=target.id)
    referral.due_at = referral.reminder_due_at = None
    facts = service.alert_facts(referral.alert)
    people, _why, _notes = people_for(
        target, store.places(), facts, target.escalation.delay(facts.risk)
    )
    service.open_referral(
        session, directory, referral.alert, target.id, None, people, actor=record.id, channel="sms"
    )
    return reply("transferred", cmd.lang, reference=referral.alert.reference, agency=target.id)


def _reroute(session: Session, referral: Referral) -> None:
    """After a rejection: the next person of the chain, else the fallback agency."""
    directory = store.current(session)
    if directory is None:
        return
    nxt = referral.level + 1
    if nxt < len(referral.people):
        service.transition(referral, "reroute", actor="system", channel="system")
        text = referral_sms(
            service.referral_facts(referral.alert), service.language_at(session, referral, nxt)
        )
        service.send_to_person(session, directory, referral, nxt, text)
        return
    referral.due_at = None
    fallback = directory.agency(directory.fallback_agency)
    if fallback is None or fallback.id == referral.agency_id:
        return
    facts = service.alert_facts(referral.alert)
    people, _why, _notes = people_for(
        fallback, store.places(), facts, fallback.escalation.delay(facts.risk)
    )
    service.open_referral(
        session,
        directory,
        referral.alert,
        fallback.id,
        None,
        people,
        actor="system",
        channel="system",
    )


def _tell_reporter(session: Session, alert: Alert, code: str) -> None:
    """Tell the reporter, when they agreed to SMS updates."""
    contact = alert.contact
    if contact is None or not alert.consent_messages or contact.opted_out:
        return
    queue_outbound(
        session,
        contact=contact,
        text=reporter_text(code, alert.language, alert.reference),
        channel="sandbox" if alert.is_training else alert.channel,
        kind="notification",
        training=alert.is_training,
    )
