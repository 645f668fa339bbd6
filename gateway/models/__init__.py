"""The database models. Import from here so Alembic sees every table."""

from gateway.models.contact import Contact
from gateway.models.message import InboundRejection, Message, MessageEvent

__all__ = ["Contact", "InboundRejection", "Message", "MessageEvent"]
