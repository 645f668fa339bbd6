"""A phone simulator: talk to the real flows through the sandbox channel.

Messages go through the same storage and dispatcher as real ones, on the
``sandbox`` channel and marked as training data (kept out of reports), so a
trainer or developer can run a whole conversation without sending one SMS.
Used by ``relais simulate`` and the training pages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from gateway import inbound
from gateway.channels.base import InboundMessage, SessionEvent
from gateway.db import utcnow
from gateway.models import Contact, Message
from gateway.models.message import Direction
from gateway.runtime import Runtime

SANDBOX = "sandbox"


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
