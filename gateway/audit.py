"""Writing and reading the audit log (see :mod:`gateway.models.audit`).

Call :func:`record` inside the transaction that does the audited thing, so
the action and its audit event commit (or roll back) together::

    from gateway import audit
    audit.record(session, audit.current_actor(), "case.view", "alert", str(alert.id))

Inside a web request the client's IP is stored as a keyed hash (never in
clear); the detail is cut to 200 characters and phone-number-like digit runs
are masked, but callers must still never put personal data in it.
"""

from __future__ import annotations

from flask import has_app_context, has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import runtime
from gateway.models.audit import DETAIL_MAX, AuditEvent
from gateway.phones import mask_numbers_in

SYSTEM = "system"
CLI = "cli"


def ip_hash(ip: str | None) -> str | None:
    """The keyed hash of a client IP address (None without one)."""
    if not ip or not has_app_context():
        return None
    return runtime.current().keyring.lookup_hash("ip:" + ip)


def request_ip_hash() -> str | None:
    """The keyed hash of the current request's client IP (None outside a request)."""
    if not has_request_context():
        return None
    return ip_hash(request.remote_addr)


def current_actor() -> str:
    """The signed-in console user's name, else ``"system"``."""
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return str(current_user.username)
    return SYSTEM


def record(
    session: Session,
    actor: str,
    action: str,
    target_type: str = "",
    target_id: str = "",
    detail: str = "",
    *,
    ip_hash: str | None = None,
) -> AuditEvent:
    """Add one audit event to ``session`` (committed with the caller's transaction).

    ``ip_hash`` defaults to the hash of the current request's client IP.
    """
    event = AuditEvent(
        actor=actor[:64],
        action=action[:64],
        target_type=target_type[:32],
        target_id=str(target_id)[:64],
        detail=mask_numbers_in(detail)[:DETAIL_MAX],
        ip_hash=ip_hash if ip_hash is not None else request_ip_hash(),
    )
    session.add(event)
    return event


def record_cli(action: str, target_type: str = "", target_id: str = "", detail: str = "") -> None:
    """Record, in a transaction of its own, a change made with the ``relais`` command
    (actor ``cli``) that touches no row of its own to commit with."""
    with runtime.current().db.session() as session:
        record(session, CLI, action, target_type, target_id, detail)


def tail(session: Session, limit: int = 50) -> list[AuditEvent]:
    """The latest ``limit`` events, oldest first."""
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
    return list(reversed(list(rows)))
