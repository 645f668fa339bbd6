"""Storing what people send, exactly once, before anything else happens.

A webhook stores the normalised message and commits before it answers. The
provider's id is unique per channel (a database constraint), so a webhook
delivered again — even ten times at once — finds the row already there and
creates nothing.

Processing (stepping the conversation) then *claims* the row
(``received`` → ``handling``) so only one request or job handles it; if
processing fails, the row goes back to ``received`` and the sweeper hands it
to a ``process_inbound`` job later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gateway.channels.base import InboundMessage
from gateway.db import Database, utcnow
from gateway.logs import get_logger
from gateway.models import Contact, Conversation, InboundRejection, Message
from gateway.models.message import Direction, Status

log = get_logger(__name__)
MAX_PROCESSING_ATTEMPTS = 5
SEEN_PRECISION = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Stored:
    """The stored row's id, whether this request created it, and whose it is."""

    message_id: int
    created: bool
    contact_id: int = 0


def _claim_from_training(session: Session, contact: Contact) -> None:
    """A real person writes from a number the simulator once used: it is theirs
    now. The trainer's language choice and open conversations must not carry
    over (their reports would continue a demo); the simulator no longer picks
    the number (it only reuses training contacts)."""
    contact.is_training = False
    contact.language = None
    session.execute(
        update(Conversation)
        .where(
            Conversation.contact_id == contact.id,
            Conversation.status.in_(("active", "paused")),
        )
        .values(status="abandoned")
    )
    log.warning("training_number_now_real", contact_id=contact.id)


def _seen(session: Session, contact: Contact, now: dt.datetime) -> bool:
    """Set ``last_seen_at``, unless the contact lost its number meanwhile (False then).

    The purge only erases contacts silent for a day or more, so a contact it
    may be erasing always comes here. The statement waits for a purge batch
    holding the row, then checks the hash again: on PostgreSQL against the
    row as the purge left it, on SQLite after taking the write lock.
    """
    result = session.execute(
        update(Contact)
        .where(Contact.id == contact.id, Contact.phone_hash == contact.phone_hash)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    set_committed_value(contact, "last_seen_at", now)
    return True


def store(
    db: Database, inbound: InboundMessage, *, training: bool = False, claim: bool = False
) -> Stored:
    """Commit ``inbound`` as a ``received`` row, or find the row a retry already made.

    With ``claim`` a new row is stored already claimed (``handling``) by the
    caller, who processes it right away: one transaction instead of two.
    """
    try:
        with db.session() as session:
            now = utcnow()
            contact = Contact.get_or_create(session, inbound.sender, training=training)
            # Only retention reads it (in days): one UPDATE an hour is plenty,
            # not one per message.
            stale = contact.last_seen_at is None or contact.last_seen_at < now - SEEN_PRECISION
            if stale and not _seen(session, contact, now):
                # The retention purge erased this number between our look-up
                # and now: the person is new again (the message must not go to
                # a contact with no number left to answer).
                session.expunge(contact)
                contact = Contact.get_or_create(session, inbound.sender, training=training)
                _seen(session, contact, now)
            if contact.is_training and not training:
                _claim_from_training(session, contact)
            if contact.invalid_number:
                # They just texted us: the number works again (a SIM reactivated,
                # a provider's "inactive" or "landline" verdict that was wrong).
                contact.invalid_number = False
            message = Message(
                direction=Direction.IN,
                channel=inbound.channel,
                provider=inbound.channel,
                provider_id=inbound.provider_id,
                contact=contact,
                body=inbound.text,
                kind="ussd" if inbound.session_id else "sms",
                session_id=inbound.session_id,
                is_training=training,
                attempts=1 if claim else 0,
                claimed_at=utcnow() if claim else None,
                created_at=inbound.received_at,
            )
            message.record(Status.HANDLING if claim else Status.RECEIVED)
            session.add(message)
            session.flush()
            return Stored(message.id, True, contact.id)
    except IntegrityError:
        existing = find(db, inbound.channel, inbound.provider_id)
        if existing is None:
            raise
        log.info("duplicate_inbound", channel=inbound.channel, message_id=existing)
        return Stored(existing, False)


def find(db: Database, channel: str, provider_id: str) -> int | None:
    """The id of the inbound message ``provider_id`` on ``channel``, if stored."""
    with db.session() as session:
        return session.scalar(
            select(Message.id).where(
                Message.direction == Direction.IN,
                Message.channel == channel,
                Message.provider_id == provider_id,
            )
        )


def claim(db: Database, message_id: int) -> bool:
    """Take the right to process a received message (only one caller wins)."""
    with db.session() as session:
        result = session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == Status.RECEIVED)
            .values(status=Status.HANDLING, claimed_at=utcnow(), attempts=Message.attempts + 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def release(db: Database, message_id: int, *, error: str) -> None:
    """Processing failed: give the message back (or fail it after too many tries)."""
    with db.session() as session:
        message = session.get_one(Message, message_id)
        if message.attempts >= MAX_PROCESSING_ATTEMPTS:
            message.record(Status.FAILED, error_code=error, detail="processing failed")
        else:
            message.record(Status.RECEIVED, error_code=error, detail="processing will be retried")
        message.claimed_at = None


def give_up(db: Database, message_id: int, *, error: str, detail: str) -> None:
    """Mark a message that can never be processed later ``failed`` (a USSD screen:
    its session is gone once the provider had an answer), so nothing waits for
    it and retention can erase it."""
    with db.session() as session:
        message = session.get_one(Message, message_id)
        message.record(Status.FAILED, error_code=error, detail=detail)
        message.claimed_at = None


def language_of(db: Database, contact_id: int) -> str | None:
    """The language a contact chose, if any.

    Used on error paths (a screen that could not be stepped): any failure,
    the database itself being down included, answers None.
    """
    if not contact_id:
        return None
    try:
        with db.session() as session:
            return session.scalar(select(Contact.language).where(Contact.id == contact_id))
    except Exception as exc:
        log.warning("language_lookup_failed", error=type(exc).__name__)
        return None


def reject(db: Database, channel: str, reason: str) -> None:
    """Count a request that is answered but never processed (no personal data kept)."""
    with db.session() as session:
        session.add(InboundRejection(channel=channel, reason=reason[:64]))
