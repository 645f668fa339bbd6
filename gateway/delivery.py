"""Delivery reports: status callbacks update a sent message's history.

Reports are matched by the provider that actually sent the message and the
id it gave. A report never moves a message backwards (a late ``sent`` after
``delivered`` is recorded in the history only). A report can arrive before
the send job has committed the id the provider just gave (a fast "failed" for
an unreachable number): :func:`receive` then keeps it in Redis for
:data:`EARLY_TTL` seconds and the job applies it right after its commit
(:func:`apply_early`); the provider got its 200 and never sends it again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from gateway.channels.base import StatusUpdate
from gateway.db import Database, utcnow
from gateway.logs import get_logger
from gateway.models import Message, MessageEvent
from gateway.models.message import PROGRESS, Direction, Status

log = get_logger(__name__)
# Provider error codes in delivery reports that mean "never message again".
OPT_OUT_CODES = {"21610", "UserInBlackList", "UserInBlacklist"}
INVALID_NUMBER_CODES = {"30005", "30006", "UserIsInactive"}
# Codes in an "undelivered"/"failed" report worth sending again later: the
# handset was off or out of coverage, or the carrier did not say why.
RETRY_CODES = {"30003", "30008"}
REDELIVERY_DELAY = dt.timedelta(minutes=10)


EARLY_TTL = 600  # seconds: far longer than a send's commit can lag its answer


def _early_key(channel: str, provider_id: str) -> str:
    return f"relais:early-status:{channel}:{provider_id}"


def receive(db: Database, redis: Redis, update: StatusUpdate) -> bool:
    """Apply a delivery report, or keep it for the send job when its id is not known yet."""
    if apply_status(db, update):
        return True
    try:
        key = _early_key(update.channel, update.provider_id[:64])
        pipe = redis.pipeline()
        pipe.rpush(key, json.dumps(asdict(update)))
        pipe.expire(key, EARLY_TTL)
        pipe.execute()
    except RedisError as exc:
        log.warning("early_status_not_kept", error=type(exc).__name__)
    # The send may have committed (and looked for early reports) between our
    # first look and the push: look once more (applying twice only repeats
    # a line of the history).
    return apply_status(db, update)


def apply_early(db: Database, redis: Redis, channel: str, provider_id: str) -> int:
    """Apply the reports that arrived before the send committed ``provider_id``."""
    key = _early_key(channel, provider_id)
    try:
        pipe = redis.pipeline()
        pipe.lrange(key, 0, -1)
        pipe.delete(key)
        raw, _deleted = pipe.execute()
    except RedisError:
        return 0  # the report is lost with Redis; the message stays "sent"
    for item in raw:
        apply_status(db, StatusUpdate(**json.loads(item)))
    if raw:
        log.info("early_status_applied", channel=channel, count=len(raw))
    return len(raw)


def apply_status(db: Database, update: StatusUpdate) -> bool:
    """Record ``update`` on the message it is about; False when no such message."""
    with db.session() as session:
        message = session.scalar(
            select(Message).where(
                Message.direction == Direction.OUT,
                Message.provider == update.channel,
                Message.provider_id == update.provider_id,
            )
        )
        if message is None:
            log.info("status_for_unknown_message", channel=update.channel)
            return False
        new = Status(update.status) if update.status in Status._value2member_map_ else None
        detail = f"report: {update.raw_status or update.status}"
        if new is None or PROGRESS.get(new, 0) < PROGRESS.get(Status(message.status), 0):
            # Keep the history, but never move the message backwards.
            message.events.append(_event(update, detail))
        else:
            message.record(new, error_code=update.error_code, detail=detail)
        if update.cost:
            message.cost = update.cost
        if message.status in (Status.UNDELIVERED, Status.FAILED) and _send_again(message, update):
            message.next_attempt_at = utcnow() + REDELIVERY_DELAY
            message.record(Status.RETRYING, error_code=update.error_code, detail="send again later")
        # A fallback provider's verdict speaks for that provider only, as in
        # the send job: it must not silence the number for the primary.
        first_provider = message.provider in (None, message.channel)
        if update.error_code in OPT_OUT_CODES and first_provider:
            message.contact.opted_out = True
        elif update.error_code in INVALID_NUMBER_CODES and first_provider:
            message.contact.invalid_number = True
        return True


def _send_again(message: Message, update: StatusUpdate) -> bool:
    """A report saying "not delivered, try later", with attempts left: the sweeper
    sends the message again when ``next_attempt_at`` is due."""
    from gateway.jobs import max_send_attempts

    return update.error_code in RETRY_CODES and message.attempts < max_send_attempts()


def _event(update: StatusUpdate, detail: str) -> MessageEvent:
    return MessageEvent(
        status=update.status[:16], error_code=update.error_code, detail=detail[:255], at=utcnow()
    )
