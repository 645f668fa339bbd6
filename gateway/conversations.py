"""Conversation state: in the database, with a liveness mark in Redis.

Each step writes the state to the ``conversations`` table (encrypted): it is
the only copy, so a Redis restart or outage mid-conversation loses nothing.
Redis holds just a mark per open SMS conversation, ``relais:conv:<id>`` =
``1`` with the session's TTL — no answers, no personal data — whose presence
says the SMS session is still live (USSD sessions need none: the provider's
session id finds them). An SMS conversation whose mark expired is
*paused*: the reporter is offered to continue or start again. (Before
2026-11-29 Redis held an encrypted copy of the state; such values are never
read and expire with their TTL.)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db import Database, utcnow
from gateway.flows import ConversationState
from gateway.logs import get_logger
from gateway.models import Conversation

log = get_logger(__name__)
LIVE_MARK = "1"  # the value of a conversation's Redis key: presence is all it says


@dataclass
class Loaded:
    """A conversation found for a person (``row`` None when there is none)."""

    row: Conversation | None
    state: ConversationState | None
    expired: bool = False


class ConversationStore:
    """Reads and writes conversation state for one database session."""

    def __init__(self, session: Session, redis: Redis, ttl: dt.timedelta):
        self.session = session
        self.redis = redis
        self.ttl = ttl

    @staticmethod
    def _key(row: Conversation) -> str:
        return f"relais:conv:{row.id}"

    def _live_in_redis(self, row: Conversation) -> bool | None:
        """True/False when Redis answers; None when it does not."""
        try:
            return bool(self.redis.exists(self._key(row)))
        except RedisError:
            return None

    def find_sms(self, contact_id: int) -> Loaded:
        """The person's open SMS conversation, noting whether it has expired."""
        row = self.session.scalars(
            select(Conversation)
            .where(
                Conversation.contact_id == contact_id,
                Conversation.channel == "sms",
                Conversation.status.in_(("active", "paused")),
            )
            .order_by(Conversation.id.desc())
            .with_for_update()
        ).first()
        if row is None:
            return Loaded(None, None)
        state = ConversationState.from_dict(json.loads(row.state))
        live = self._live_in_redis(row)
        # Without Redis, the database's expiry time decides.
        expired = (not live) if live is not None else row.expires_at < utcnow()
        return Loaded(row, state, expired=expired or row.status == "paused")

    def find_ussd(self, session_id: str) -> Loaded:
        """The conversation of a USSD session, if it has started."""
        row = self.session.scalars(
            select(Conversation).where(Conversation.session_id == session_id).with_for_update()
        ).first()
        if row is None:
            return Loaded(None, None)
        return Loaded(row, ConversationState.from_dict(json.loads(row.state)))

    def save(
        self,
        row: Conversation | None,
        *,
        contact_id: int,
        channel: str,
        state: ConversationState,
        session_id: str | None = None,
        status: str = "active",
        alert_id: int | None = None,
    ) -> Conversation:
        """Persist ``state`` (database, then Redis with the TTL) and return the row.

        ``alert_id``: the alert this step created; the conversation (its state
        holds every answer) is then erased with the alert by retention.
        """
        blob = json.dumps(state.to_dict(), ensure_ascii=False)
        if state.done and status == "active":
            status = "completed"
        if row is None:
            row = Conversation(
                contact_id=contact_id,
                channel=channel,
                session_id=session_id,
                flow=state.flow,
                state=blob,
                status=status,
                expires_at=utcnow() + self.ttl,
            )
            self.session.add(row)
        else:
            row.state, row.status, row.flow = blob, status, state.flow
            row.expires_at = utcnow() + self.ttl
        if alert_id is not None:
            row.alert_id = alert_id
        if channel != "sms":
            # Only an SMS session expires by its mark (find_sms); a USSD one is
            # found by its session id: no Redis round trip on every screen.
            return row
        if row.id is None:  # a new row needs its id for the Redis key; others wait for commit
            self.session.flush()
        try:
            if status == "active":
                self.redis.set(self._key(row), LIVE_MARK, ex=self.ttl)
            else:
                self.redis.delete(self._key(row))
        except RedisError as exc:
            log.warning("conversation_cache_unavailable", error=type(exc).__name__)
        return row


def close_ussd(db: Database, session_id: str) -> bool:
    """Mark a USSD session's conversation ended; unfinished ones become ``abandoned``."""
    with db.session() as session:
        row = session.scalar(select(Conversation).where(Conversation.session_id == session_id))
        if row is None:
            return False
        if row.status == "active":
            row.status = "abandoned"
        return True
