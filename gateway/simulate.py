"""A phone simulator: talk to the real flows through the sandbox channel.

Messages go through the same storage and dispatcher as real ones, on the
``sandbox`` channel and marked as training data (kept out of reports), so a
trainer or developer can run a whole conversation without sending one SMS.
Used by ``relais simulate`` and the training pages.

A focal point's phone is simulated with :meth:`Phone.focal_sms`: its commands
go through the same dispatcher, but only ever about *training* referrals — a
reference to a real case gets the "unknown reference" answer without reaching
the focal-point handler, and ``LISTE`` lists training referrals only, so the
simulator can never act on, or reveal, a real case.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import inbound, phones
from gateway.channels.base import InboundMessage, SessionEvent
from gateway.conversations import close_ussd
from gateway.crypto import DecryptionError
from gateway.db import utcnow
from gateway.models import Alert, Contact, Conversation, FocalPointRecord, Message
from gateway.models.message import Direction, Status
from gateway.outbox import queue_outbound
from gateway.referrals.commands import LIST, NEEDS_REFERENCE, ParseError, parse_command
from gateway.referrals.focal_cases import open_references
from gateway.referrals.lookups import focal_point_for, is_simulated_phone
from gateway.referrals.texts import reply
from gateway.runtime import Runtime

SANDBOX = "sandbox"
# Simulated reporters: +223 70 00 06 00 to +223 70 00 09 99.
TRAINING_PREFIX, TRAINING_FIRST, TRAINING_SPAN = "+2237000", 600, 400


class NotAFocalPoint(ValueError):
    """:meth:`Phone.focal_sms` was called for a number that is no focal point."""


def training_number(session: Session, seed: int) -> str:
    """A simulated reporter number for ``seed`` (e.g. a user id), in the training range.

    Never a focal point's nor a real contact's number: the next free one then.
    """
    for step in range(TRAINING_SPAN):
        digits = TRAINING_FIRST + (seed + step) % TRAINING_SPAN
        number = phones.normalize(f"{TRAINING_PREFIX}{digits:04d}")
        contact = Contact.find(session, number)
        if contact is None or is_simulated_phone(session, contact):
            return number
    raise RuntimeError("no free simulated number")


@dataclass
class PhoneState:
    """A simulated phone's state between web requests: USSD session, screen, thread start."""

    ussd_session: str | None = None
    ussd_inputs: list[str] = field(default_factory=list)
    screen: str = ""
    since: int = 0  # messages up to this id were cleared from view by a reset

    @classmethod
    def load(cls, rt: Runtime, key: str) -> PhoneState:
        """The state kept under ``key`` in Redis (a fresh one when none can be read)."""
        raw = rt.redis.get(key)
        if not isinstance(raw, bytes):
            return cls()
        try:
            return cls(**json.loads(rt.keyring.decrypt(raw.decode())))
        except (DecryptionError, TypeError, ValueError):
            return cls()

    def save(self, rt: Runtime, key: str, ttl: int) -> None:
        """Keep the state under ``key`` for ``ttl`` seconds, encrypted (answers are free text)."""
        rt.redis.set(key, rt.keyring.encrypt(json.dumps(asdict(self))), ex=ttl)


@dataclass
class Phone:
    """One simulated phone number talking to Relais."""

    rt: Runtime
    number: str
    language: str | None = None
    _last_seen: int = 0
    _ussd_session: str | None = None
    _ussd_inputs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        with self.rt.db.session() as session:
            contact = Contact.get_or_create(session, self.number, training=True)
            if self.language:
                contact.language = self.language
            self._last_seen = self._newest_outbound(session, contact.id)

    @staticmethod
    def _newest_outbound(session: object, contact_id: int) -> int:
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)  # noqa: S101 - internal contract
        newest = session.scalar(
            select(Message.id)
            .where(Message.contact_id == contact_id, Message.direction == Direction.OUT)
            .order_by(Message.id.desc())
            .limit(1)
        )
        return newest or 0

    def _inbound(self, text: str, **extra: object) -> InboundMessage:
        return InboundMessage(
            channel=SANDBOX,
            provider_id="SIM" + uuid.uuid4().hex,
            sender=self.number,
            text=text,
            received_at=utcnow(),
            **extra,  # type: ignore[arg-type]
        )

    def sms(self, text: str) -> list[str]:
        """Send an SMS; return the replies Relais queued for this phone."""
        stored = inbound.store(self.rt.db, self._inbound(text), training=True)
        self.rt.dispatch.handle_sms(stored.message_id)
        return self.replies()

    def replies(self) -> list[str]:
        """SMS queued for this phone since the last call (USSD screens excluded)."""
        with self.rt.db.session() as session:
            contact = Contact.find(session, self.number)
            if contact is None:
                return []
            rows = session.scalars(
                select(Message)
                .where(
                    Message.contact_id == contact.id,
                    Message.direction == Direction.OUT,
                    Message.id > self._last_seen,
                )
                .order_by(Message.id)
            ).all()
            if rows:
                self._last_seen = rows[-1].id
            return [m.body or "" for m in rows if m.kind != "ussd"]

    def dial(self) -> str:
        """Start a USSD session; return the first screen (``CON …``)."""
        self._ussd_session = "SIM" + uuid.uuid4().hex
        self._ussd_inputs = []
        return self._ussd_request()

    def ussd(self, text: str) -> str:
        """Answer the current USSD screen; return the next one."""
        if self._ussd_session is None:
            return self.dial()
        self._ussd_inputs.append(text)
        return self._ussd_request()

    def _ussd_request(self) -> str:
        assert self._ussd_session is not None  # noqa: S101 - set by dial()
        raw = "*".join(self._ussd_inputs)
        message = self._inbound(
            raw,
            session_id=self._ussd_session,
            session_event=SessionEvent.START if not raw else SessionEvent.CONTINUE,
        )
        stored = inbound.store(self.rt.db, message, training=True)
        screen = self.rt.dispatch.handle_ussd(stored.message_id, raw, self._ussd_session)
        self.replies()  # USSD answers are not SMS: move past them
        if screen.startswith("END "):
            self._ussd_session = None
        return screen

    # --- state kept between web requests (the console simulator) -----------

    @property
    def ussd_session(self) -> str | None:
        """The live USSD session id (None when no session is open)."""
        return self._ussd_session

    @property
    def ussd_inputs(self) -> list[str]:
        """The answers given in the live USSD session, in order."""
        return list(self._ussd_inputs)

    def resume_ussd(self, session_id: str | None, inputs: list[str]) -> None:
        """Continue a USSD session started by another ``Phone`` object (another request)."""
        self._ussd_session = session_id
        self._ussd_inputs = list(inputs) if session_id else []

    def hang_up(self) -> None:
        """End the live USSD session, as a provider's session-end event would."""
        if self._ussd_session is not None:
            close_ussd(self.rt.db, self._ussd_session)
        self._ussd_session, self._ussd_inputs = None, []

    def reset(self) -> None:
        """Start this phone afresh; its alerts and messages stay.

        Abandons its open conversations (SMS and USSD), forgets its language
        and any STOP, and clears its per-number message limit.
        """
        self.hang_up()
        with self.rt.db.session() as session:
            contact = Contact.find(session, self.number)
            if contact is None:
                return
            contact.language, contact.opted_out = self.language, False
            rows = session.scalars(
                select(Conversation).where(
                    Conversation.contact_id == contact.id,
                    Conversation.status.in_(("active", "paused")),
                )
            ).all()
            for row in rows:
                row.status = "abandoned"
            keys = [f"relais:conv:{row.id}" for row in rows]
            contact_id = contact.id
        try:
            if keys:
                self.rt.redis.delete(*keys)
            stale = list(self.rt.redis.scan_iter(f"relais:count:sender:{contact_id}:*"))
            if stale:
                self.rt.redis.delete(*stale)
        except RedisError:
            pass  # the database already says the conversations are over

    # --- a focal point's phone ----------------------------------------------

    def focal_sms(self, text: str) -> list[str]:
        """Send a focal point's command from this (focal point's) number, training only.

        Raises :class:`NotAFocalPoint` when the number is not a focal point's.
        """
        with self.rt.db.session() as session:
            contact = Contact.find(session, self.number)
            record = focal_point_for(session, contact.id) if contact else None
            if record is None:
                raise NotAFocalPoint(self.number)
            refusal = _training_only(session, record, text)
        if refusal is None:
            return self.sms(text)
        stored = inbound.store(self.rt.db, self._inbound(text), training=True)
        if inbound.claim(self.rt.db, stored.message_id):
            with self.rt.db.session() as session:
                message = session.get_one(Message, stored.message_id)
                queue_outbound(
                    session, contact=message.contact, text=refusal, channel=SANDBOX, training=True
                )
                message.claimed_at = None
                message.record(Status.HANDLED, detail="simulator: training referrals only")
        return self.replies()


def _training_only(session: Session, record: FocalPointRecord, text: str) -> str | None:
    """The simulator's own answer when ``text`` would touch a real case, else None."""
    command = parse_command(text, default_lang=record.language)
    if isinstance(command, ParseError):
        return None  # the dispatcher answers with help or the syntax
    if command.action == LIST:
        references = open_references(session, record.id, training=True)
        return reply("list", command.lang, references=references)
    if command.action in NEEDS_REFERENCE:
        training = session.scalar(
            select(Alert.is_training).where(Alert.reference == (command.reference or ""))
        )
        if not training:
            return reply("unknown_reference", command.lang, reference=command.reference)
    return None
