"""Focal points answer by SMS: OK / NON / INFO / NOTE / TRANSFERT / FIN / LISTE.

Registered as a dispatcher plug-in: an SMS from a focal point's number is a
command; what is no command but belongs to the alert flow (ALERTE, STATUT, a
one-message alert, answers in an alert conversation they started) goes on to
the flow, so a focal point can report like anyone; a keyword with a
well-formed reference and the rest left out (``NOTE K7QX2P``) stays a command.
Who may do what:

* accept, reject, info, note — anyone the referral was sent to so far (the
  first focal point, then backup and supervisor as it escalated), or who
  accepted it;
* transfer — the holder (who accepted it, or the person it waits on);
* close — only who accepted it.

INFO gives the reporter's number only to the focal point who accepted it
themselves, and only with the reporter's consent (:mod:`gateway.referrals.reveal`).
What each command does to the referral is in :mod:`gateway.referrals.actions`,
shared with the console: this module parses, checks who is asking and replies.
Unknown references and other agencies' references get answers that reveal
nothing about the case.
"""

from __future__ import annotations

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import runtime
from gateway.encoding import fits
from gateway.flows.keywords import RESTART, START, STATUS, detect_keyword, is_thanks
from gateway.flows.oneshot import is_oneshot
from gateway.logs import get_logger
from gateway.models import Conversation, FocalPointRecord, Message, Referral
from gateway.referrals import actions, focal_cases, reveal, store
from gateway.referrals.actions import SMS, ActionError
from gateway.referrals.agency_words import find_agency, typed_name
from gateway.referrals.commands import (
    ACCEPT,
    CLOSE,
    HELP,
    INFO,
    LIST,
    MISSING_ARGUMENT,
    MISSING_REFERENCE,
    NOTE,
    REJECT,
    STOP,
    TRANSFER,
    UNKNOWN_COMMAND,
    Command,
    ParseError,
    parse_command,
)
from gateway.referrals.facts import referral_facts
from gateway.referrals.lifecycle import LifecycleError, transition
from gateway.referrals.lookups import focal_point_for
from gateway.referrals.notes import OWN_OK
from gateway.referrals.texts import error_reply, info_sms, reply
from gateway.runtime import Runtime
from gateway.throttle import lookups_blocked, note_failed_lookup

log = get_logger(__name__)


def handle_focal_sms(session: Session, message: Message) -> list[str] | None:
    """Answer a focal point's SMS command; None when the sender is not a focal point."""
    record = focal_point_for(session, message.contact_id)
    if record is None:
        return None
    command = parse_command(message.body or "", default_lang=record.language)
    if message.contact.opted_out and _is_start(message.body or ""):
        # They once sent STOP (perhaps as a reporter, before being listed):
        # referrals skip them until they opt in again, which START does.
        message.contact.opted_out = False
        log.info("focal_point_opted_in", focal_point=record.id)
        return [reply("help", record.language)]
    if isinstance(command, ParseError):
        # A keyword with a well-formed reference ("NOTE K7QX2P", text left out)
        # is a command even during an alert they report: the flow answered it.
        if command.code != MISSING_ARGUMENT and _for_the_alert_flow(session, message):
            return None  # a focal point reporting an alert, like anyone else
        if command.code == UNKNOWN_COMMAND and _thanks(message.body or ""):
            return []  # "Merci": the command help in answer costs an SMS and helps nobody
        if command.code == MISSING_REFERENCE:
            return [_which_case(session, record, message, command)]
        return [error_reply(command)]
    lang = command.lang
    if command.action == HELP:
        return [reply("help", lang)]
    if command.action == STOP:
        # Staff leave the directory through their coordinator (who can mark
        # them inactive at once): an SMS opt-out would silently drop cases.
        log.warning("focal_point_asked_to_stop", focal_point=record.id)
        return [reply("stop_focal", lang)]
    if command.action == LIST:
        refs = focal_cases.open_references(session, record.id, message.is_training)
        return [reply("list", lang, references=refs)]
    referral = focal_cases.by_reference(session, command.reference or "")
    # Training (simulator) messages only ever reach training referrals, and
    # real ones real referrals: a demo can never touch a real case.
    if referral is not None and referral.is_training != message.is_training:
        referral = None
    mine = referral is not None and (
        record.id in referral.notified_ids() or referral.accepted_by == record.id
    )
    if referral is not None and not mine and focal_cases.was_theirs(session, referral, record.id):
        # Transferred away while they were on it (perhaps as they typed): the
        # truth, not "not assigned to you", which reads like a mistake.
        return [reply("moved_on", lang, reference=command.reference, agency=referral.agency_id)]
    if referral is None or not mine:
        # Only answers about other people's cases are throttled: a focal point
        # past the limit (typos, cases transferred away) must still be able
        # to act on the cases sent to them, which reveals nothing new.
        if _guessing(runtime.current(), record, message.is_training) or referral is None:
            return [reply("unknown_reference", lang, reference=command.reference)]
        return [reply("not_yours", lang, reference=command.reference)]
    try:
        return [_act(session, record, referral, command)]
    except LifecycleError:
        if referral.status == "accepted" and referral.accepted_by != record.id:
            # "FIN impossible: le cas est accepté" read as if they had accepted it.
            return [reply("already_accepted_by_other", lang, reference=command.reference)]
        return [
            reply(
                "not_allowed",
                lang,
                reference=command.reference,
                action=command.action,
                status=referral.status,
            )
        ]


def _which_case(
    session: Session, record: FocalPointRecord, message: Message, error: ParseError
) -> str:
    """A bare "OK" (or NON, INFO…): the format with their one open case's
    reference, or followed by their open cases when it fits one SMS. It still
    applies to none: guessing which case was meant could accept the wrong one."""
    refs = focal_cases.open_references(session, record.id, message.is_training)
    if len(refs) == 1:
        return reply("wrong_syntax", error.lang, action=error.action, reference=refs[0])
    text = error_reply(error)
    if refs:
        listed = f"{text} {reply('list', error.lang, references=refs)}"
        return listed if fits(listed) else text
    return text


def _is_start(text: str) -> bool:
    keyword = detect_keyword(text, runtime.current().dispatch.alert_flow.lexicon)
    return keyword is not None and keyword.name == START


def _for_the_alert_flow(session: Session, message: Message) -> bool:
    """True for a focal point's SMS that is no command but belongs to the alert
    flow: ALERTE/MENU/STATUT, a one-message alert, or an answer in an alert
    conversation they started. Commands always win ("OK K7QX2P")."""
    text = message.body or ""
    dispatch = runtime.current().dispatch
    keyword = detect_keyword(text, dispatch.alert_flow.lexicon)
    if (keyword and keyword.name in (STATUS, RESTART)) or is_oneshot(text, dispatch.oneshot):
        return True
    live = session.scalar(
        select(Conversation.id)
        .where(
            Conversation.contact_id == message.contact_id,
            Conversation.channel == "sms",
            Conversation.status == "active",
        )
        .limit(1)
    )
    return live is not None


def _thanks(text: str) -> bool:
    return is_thanks(text, runtime.current().dispatch.alert_flow.lexicon)


def _guessing(rt: Runtime, record: FocalPointRecord, training: bool) -> bool:
    """Count a failed look-up; True when this number was already past the limit
    (simulator look-ups are counted apart from the real phone's)."""
    limit = rt.settings.LOOKUP_FAILURE_LIMIT
    try:
        blocked = lookups_blocked(rt.redis, record.contact_id, limit, training=training)
        note_failed_lookup(rt.redis, record.contact_id, training=training)
    except RedisError:
        return False
    return blocked


def _agency(session: Session, cmd: Command) -> str:
    """The agency a TRANSFERT names, however it was written ("à dnpef", "Samu
    Social", "OIM"); the words typed when the directory knows none of the readings."""
    found = find_agency(store.current(session), cmd.argument or "", cmd.raw_note)
    return found or typed_name(cmd.argument or "", cmd.raw_note)


def _other_agencies(session: Session, referral: Referral) -> list[str]:
    """The codes a TRANSFERT of ``referral`` may name (told after an unknown one)."""
    directory = store.current(session)
    agencies = directory.agencies if directory is not None else ()
    return [a.id for a in agencies if a.id != referral.agency_id]


def _act(session: Session, record: FocalPointRecord, referral: Referral, cmd: Command) -> str:
    ref, lang, alert = referral.alert.reference, cmd.lang, referral.alert
    try:
        if cmd.action == ACCEPT:
            # "The reporter will be told" only when they will be.
            told = "accepted" if actions.wants_updates(alert) else "accepted_untold"
            if referral.status == "accepted" and referral.accepted_by == record.id:
                # Sent again because the confirmation was slow: confirm again,
                # do not tell the holder their acceptance is "impossible". After
                # staff accepted for them in the console, their own OK is noted.
                if not reveal.accepted_themselves(referral, record.id):
                    transition(referral, "note", actor=record.id, channel=SMS, note=OWN_OK)
                return reply(told, lang, reference=ref)
            actions.accept(session, referral, record.id, SMS)
            return reply(told, lang, reference=ref)
        if cmd.action == REJECT:
            if referral.status != "accepted" and referral.holder != record.id:
                # Someone the case already moved on from: their late NON must
                # not push it away from the person it waits on now.
                refused = f"refused: {cmd.argument}" if cmd.argument else "refused:"
                transition(referral, "note", actor=record.id, channel=SMS, note=refused)
                return reply("rejected_rerouted", lang, reference=ref)
            passed_on = actions.reject(session, referral, record.id, SMS, cmd.argument)
            return reply(
                "rejected_rerouted" if passed_on else "rejected_no_one", lang, reference=ref
            )
        if cmd.action == INFO:
            given = reveal.for_info(session, referral, record.id)
            if given.number is None:
                transition(referral, "note", actor=record.id, channel=SMS, note="INFO")
            return info_sms(referral_facts(alert), lang, given.number, ask_ok=given.ask_ok)
        if cmd.action == NOTE:
            actions.note(session, referral, cmd.argument or "", record.id, SMS)
            return reply("note_saved", lang, reference=ref)
        if cmd.action == TRANSFER:
            if referral.holder != record.id:  # only who holds the case may hand it on
                raise LifecycleError(referral.status, "transfer", [])
            new = actions.transfer(session, referral, _agency(session, cmd), record.id, SMS)
            return reply("transferred", lang, reference=ref, agency=new.agency_id)
        if cmd.action == CLOSE:
            if referral.accepted_by != record.id:
                raise LifecycleError(referral.status, "close", [])
            note = " ".join(x for x in (cmd.argument, cmd.raw_note) if x) or None
            actions.close(session, referral, cmd.argument or "", record.id, SMS, note_text=note)
            return reply("closed", lang, reference=ref, outcome=cmd.argument)
    except ActionError as error:
        if error.code == "already_accepted":
            return reply("already_accepted_by_other", lang, reference=ref)
        if error.code in ("unknown_agency", "same_agency", "nobody_at_agency") and cmd.argument:
            agency, others = _agency(session, cmd), _other_agencies(session, referral)
            return reply(error.code, lang, reference=ref, agency=agency, agencies=others)
        return reply("wrong_syntax", lang, reference=ref, action=cmd.action)
    return reply("help", lang)
