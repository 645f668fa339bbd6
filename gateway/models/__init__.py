"""The database models. Import from here so Alembic sees every table."""

from gateway.models.alert import Alert
from gateway.models.audit import AuditEvent
from gateway.models.contact import Contact
from gateway.models.conversation import Conversation
from gateway.models.message import InboundRejection, Message, MessageEvent
from gateway.models.referral import (
    DirectoryVersion,
    FocalPointRecord,
    PlacesVersion,
    Referral,
    ReferralEvent,
)
from gateway.models.user import User

__all__ = [
    "Alert",
    "AuditEvent",
    "Contact",
    "Conversation",
    "DirectoryVersion",
    "FocalPointRecord",
    "InboundRejection",
    "Message",
    "MessageEvent",
    "PlacesVersion",
    "Referral",
    "ReferralEvent",
    "User",
]
