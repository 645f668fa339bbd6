"""The blocklist: numbers whose messages are stored but never processed or answered.

Shared by ``relais numbers`` and the console's Messages → Blocked numbers page.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Contact, FocalPointRecord


class FocalPointNumber(ValueError):
    """The number is a focal point's: blocking it would silently drop their
    answers to referrals and skip them for new ones."""


def block(session: Session, e164: str) -> Contact:
    """Block ``e164`` (a normalised number), creating its contact if needed.

    Raises :class:`FocalPointNumber` for a focal point of the directory: they
    leave by being marked inactive there, where coordinators see it.
    """
    contact = Contact.get_or_create(session, e164)
    focal = session.scalar(
        select(FocalPointRecord.id).where(
            FocalPointRecord.contact_id == contact.id, FocalPointRecord.removed.is_(False)
        )
    )
    if focal is not None:
        raise FocalPointNumber(focal)
    contact.blocked = True
    return contact


def unblock(session: Session, contact: Contact | None) -> bool:
    """Unblock ``contact``; False when it was not blocked."""
    if contact is None or not contact.blocked:
        return False
    contact.blocked = False
    return True


def blocked_contacts(session: Session) -> list[Contact]:
    """Every blocked contact, most recently seen first."""
    return list(
        session.scalars(
            select(Contact)
            .where(Contact.blocked.is_(True))
            .order_by(Contact.last_seen_at.desc(), Contact.id.desc())
        )
    )
