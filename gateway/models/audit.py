"""The audit log: who did what, when, from where (as a keyed hash). Append-only.

Rows are written by :func:`gateway.audit.record`. Updating or deleting one
through the ORM raises :class:`AuditLogIsAppendOnly`, for single objects
(mapper events) and for ``update()``/``delete()`` statements alike. The
detail is short and never holds personal data; the client IP is kept only as
a keyed hash.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, String, event
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column

from gateway.db import Base, UTCDateTime, utcnow

DETAIL_MAX = 200


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit event."""


class AuditEvent(Base):
    """One audited action."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # A console username, or "cli" / "system".
    actor: Mapped[str] = mapped_column(String(64), index=True)
    # Dotted verb: "login.failed", "user.add", "case.view", "case.export"...
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX), default="")
    ip_hash: Mapped[str | None] = mapped_column(String(64))


def _refuse(_mapper: Mapper[Any], _connection: Any, _target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")


event.listen(AuditEvent, "before_update", _refuse)
event.listen(AuditEvent, "before_delete", _refuse)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: ORMExecuteState) -> None:
    """Refuse ``update(AuditEvent)`` / ``delete(AuditEvent)`` statements too."""
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ is AuditEvent:
        raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")
