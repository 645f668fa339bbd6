"""Delivery reports: status callbacks update a sent message's history.

Reports are matched by the provider that actually sent the message and the
id it gave. A report never moves a message backwards (a late ``sent`` after
``delivered`` is recorded in the history only). Unknown ids are answered
normally and counted: a report can race our own commit of the id.
"""

from __future__ import annotations

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
        if update.error_code in OPT_OUT_CODES:
            message.contact.opted_out = True
        elif update.error_code in INVALID_NUMBER_CODES:
            message.contact.invalid_number = True
        return True


def _event(update: StatusUpdate, detail: str) -> MessageEvent:
    return MessageEvent(
        status=update.status[:16], error_code=update.error_code, detail=detail[:255], at=utcnow()
    )
