"""Changing console accounts: shared by ``relais users`` and the console's Accounts page.

Both record every change in the audit log in the same transaction, with their
own actor (``cli`` or the administrator's username). Passwords are checked by
:func:`gateway.models.user.password_problem` and stored hashed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway import audit
from gateway.models.user import User

ACTIONS = ("user.disable", "user.enable", "user.unlock")


def apply(session: Session, actor: str, user: User, action: str) -> None:
    """Disable (ending the account's sessions), enable or unlock ``user``; audited."""
    if action == "user.disable":
        user.active = False
        user.end_sessions()
    elif action == "user.enable":
        user.active = True
    elif action == "user.unlock":
        user.failed_logins = 0
        user.locked_until = None
    else:
        raise ValueError(action)
    audit.record(session, actor, action, "user", user.username)


def set_password(session: Session, actor: str, user: User, password: str) -> None:
    """Store a new (already checked) password: open sessions end, a lock-out is lifted."""
    user.set_password(password)
    user.end_sessions()
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "user.passwd", "user", user.username)


def add(
    session: Session,
    actor: str,
    *,
    username: str,
    role: str,
    agency: str | None,
    language: str | None,
    password: str,
) -> User:
    """Create an account from checked values; audited as ``user.add``."""
    user = User(username=username, role=role, agency_id=agency, language=language, active=True)
    user.set_password(password)
    session.add(user)
    session.flush()
    detail = f"role={role}" + (f" agency={agency}" if agency else "")
    audit.record(session, actor, "user.add", "user", username, detail)
    return user


def agency_ids(session: Session) -> list[str] | None:
    """The agency ids of the directory in force; None when no directory is loaded."""
    from gateway.referrals import store

    directory = store.current(session)
    return None if directory is None else [a.id for a in directory.agencies]
