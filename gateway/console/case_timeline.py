"""Which messages belong to which case, and a case's timeline.

Messages carry no alert id, so they are linked by what they say and when:

* a message whose text names an existing reference belongs to that case
  (referral texts, focal points' commands, notifications, STATUS questions,
  console replies, which always start with the reference);
* otherwise a message of a reporter's number belongs to the first alert that
  number made at most ``SMS_SESSION_HOURS`` later (the conversation that made
  it; the reply giving the reference names it);
* otherwise a reporter's answer to staff (the last SMS sent to that number,
  within ``SMS_SESSION_HOURS``, was a console reply) belongs to the case that
  reply named.

The timeline of a case merges the alert's creation, every referral event and
every linked message (with its delivery history), oldest first. Bodies are
personal data: only the case page shows them, with every phone number in them
masked unless the reporter's number was revealed (audited).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gateway import runtime
from gateway.flows.reference import ALPHABET, LENGTH
from gateway.models import Alert, FocalPointRecord, Message, MessageEvent, Referral, ReferralEvent
from gateway.models.message import Direction

_TOKEN = re.compile(r"[A-Za-z0-9]+")
CANDIDATE_LIMIT = 1000


def mentioned(body: str | None) -> list[str]:
    """Well-formed references written in ``body`` (any case), in order, without repeats."""
    found: list[str] = []
    for token in _TOKEN.findall(body or ""):
        word = token.upper()
        if len(word) == LENGTH and all(c in ALPHABET for c in word) and word not in found:
            found.append(word)
    return found


def _session_window() -> dt.timedelta:
    return dt.timedelta(hours=runtime.current().settings.SMS_SESSION_HOURS)


def link_messages(session: Session, messages: Sequence[Message]) -> dict[int, tuple[str, ...]]:
    """The references of the cases each message belongs to (see the module docstring)."""
    words = {m.id: mentioned(m.body) for m in messages}
    candidates = {ref for refs in words.values() for ref in refs}
    existing = set(
        session.scalars(select(Alert.reference).where(Alert.reference.in_(sorted(candidates))))
        if candidates
        else []
    )
    links: dict[int, tuple[str, ...]] = {}
    unlinked: list[Message] = []
    for message in messages:
        refs = tuple(ref for ref in words[message.id] if ref in existing)
        if refs:
            links[message.id] = refs
        else:
            unlinked.append(message)
    if unlinked:
        links.update(_by_conversation(session, unlinked))
    answers = [m for m in unlinked if m.id not in links and m.direction == Direction.IN]
    if answers:
        links.update(_by_staff_reply(session, answers))
    return links


def _by_staff_reply(session: Session, messages: Sequence[Message]) -> dict[int, tuple[str, ...]]:
    """Link reporters' answers to staff: the last SMS sent to that number before
    (within ``SMS_SESSION_HOURS``) was a console reply, which names its case.

    Real and training messages are apart: a demo's reply to a real person's
    number never takes their real answer off their real case."""
    window = _session_window()
    sent = session.execute(
        select(
            Message.id, Message.contact_id, Message.kind, Message.created_at, Message.is_training
        )
        .where(
            Message.contact_id.in_(sorted({m.contact_id for m in messages})),
            Message.direction == Direction.OUT,
            Message.id < max(m.id for m in messages),
            Message.created_at >= min(m.created_at for m in messages) - window,
        )
        .order_by(Message.id)
    ).all()
    answered: dict[int, int] = {}  # inbound id -> the console reply it answers
    for message in messages:
        before = [
            row
            for row in sent
            if row[1] == message.contact_id
            and row[0] < message.id
            and row[4] == message.is_training
        ]
        if before and before[-1][2] == "console" and before[-1][3] + window >= message.created_at:
            answered[message.id] = before[-1][0]
    if not answered:
        return {}
    # Only the replies needed are read (and decrypted).
    wanted = sorted(set(answered.values()))
    bodies: dict[int, str | None] = {
        row_id: body
        for row_id, body in session.execute(
            select(Message.id, Message.body).where(Message.id.in_(wanted))
        )
    }
    links: dict[int, tuple[str, ...]] = {}
    for message_id, reply_id in answered.items():
        refs = mentioned(bodies.get(reply_id))[:1]
        if refs:
            links[message_id] = tuple(refs)
    return links


def _by_conversation(session: Session, messages: Sequence[Message]) -> dict[int, tuple[str, ...]]:
    """Link reporters' messages to the alert their conversation made."""
    window = _session_window()
    earliest = min(m.created_at for m in messages)
    latest = max(m.created_at for m in messages) + window
    alerts = session.execute(
        select(Alert.contact_id, Alert.reference, Alert.created_at)
        .where(
            Alert.contact_id.in_(sorted({m.contact_id for m in messages})),
            Alert.created_at >= earliest,
            Alert.created_at <= latest,
        )
        .order_by(Alert.created_at)
    ).all()
    links: dict[int, tuple[str, ...]] = {}
    for message in messages:
        for contact_id, reference, created_at in alerts:
            if contact_id != message.contact_id:
                continue
            if message.created_at <= created_at <= message.created_at + window:
                links[message.id] = (reference,)
                break
    return links


def case_messages(session: Session, alert: Alert, referrals: Sequence[Referral]) -> list[Message]:
    """Every message of the case ``alert`` (reporter and focal points), oldest first."""
    people: set[str] = set()
    for referral in referrals:
        people.update(p["focal_point_id"] for p in referral.people)
        if referral.accepted_by:
            people.add(referral.accepted_by)
    contact_ids = set(
        session.scalars(
            select(FocalPointRecord.contact_id).where(FocalPointRecord.id.in_(sorted(people)))
        )
    )
    if alert.contact_id is not None:
        contact_ids.add(alert.contact_id)
    if not contact_ids:
        return []
    rows = list(
        session.scalars(
            select(Message)
            .options(selectinload(Message.events))
            .where(
                Message.contact_id.in_(sorted(contact_ids)),
                Message.created_at >= alert.created_at - _session_window(),
                # A trainer may play a real focal point in the simulator, even
                # typing a real reference: demos never appear on a real case.
                Message.is_training.is_(alert.is_training),
            )
            .order_by(Message.id)
            .limit(CANDIDATE_LIMIT)
        )
    )
    links = link_messages(session, rows)
    return [m for m in rows if alert.reference in links.get(m.id, ())]


@dataclass
class Entry:
    """One line of a case's timeline: ``kind`` is ``alert``, ``event`` or ``message``."""

    at: dt.datetime
    kind: str
    alert: Alert | None = None
    referral: Referral | None = None
    event: ReferralEvent | None = None
    message: Message | None = None
    party: str = ""  # for messages: "reporter" or a focal point id
    history: list[MessageEvent] = field(default_factory=list)


def _parties(session: Session, alert: Alert, messages: Iterable[Message]) -> dict[int, str]:
    ids = {m.contact_id for m in messages} - {alert.contact_id}
    names: dict[int, str] = {}
    if ids:
        rows = session.execute(
            select(FocalPointRecord.contact_id, FocalPointRecord.id)
            .where(FocalPointRecord.contact_id.in_(sorted(ids)))
            .order_by(FocalPointRecord.id)
        ).all()
        for contact_id, fp_id in rows:
            names.setdefault(contact_id, fp_id)
    if alert.contact_id is not None:
        names[alert.contact_id] = "reporter"
    return names


def timeline(session: Session, alert: Alert, referrals: Sequence[Referral]) -> list[Entry]:
    """The case's history, oldest first (alert, referral events, messages)."""
    entries = [Entry(alert.created_at, "alert", alert=alert)]
    for referral in referrals:
        for event in referral.events:
            entries.append(Entry(event.at, "event", referral=referral, event=event))
    messages = case_messages(session, alert, referrals)
    parties = _parties(session, alert, messages)
    for message in messages:
        entries.append(
            Entry(
                message.created_at,
                "message",
                message=message,
                party=parties.get(message.contact_id, ""),
                history=list(message.events),
            )
        )
    order = {"alert": 0, "event": 1, "message": 2}
    entries.sort(key=lambda e: (e.at, order[e.kind]))
    return entries


def is_inbound(message: Message) -> bool:
    """True for a message the gateway received."""
    return message.direction == Direction.IN
