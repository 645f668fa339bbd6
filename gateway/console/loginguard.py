"""Checking a login attempt: password, per-account lock-out, per-IP throttle.

* Every attempt costs one scrypt check, even for an unknown username (a
  dummy hash), so timing does not tell whether an account exists.
* ``LOGIN_MAX_FAILURES`` wrong passwords in a row lock the account for
  ``LOGIN_LOCK_MINUTES`` (in the database; ``relais users unlock`` ends it).
  A correct password during the lock is refused like a wrong one.
* Failed attempts per client IP are counted in Redis (a fixed window, see
  :mod:`gateway.throttle`); from ``LOGIN_IP_MAX_FAILURES`` within
  ``LOGIN_IP_WINDOW_MINUTES`` the login page answers 429. When Redis is
  down only the account lock-out applies.
* Both counts are taken *before* the password is checked (and given back on
  success), so guesses sent in parallel cannot all pass a check made before
  any of them was counted.
* Every outcome is audited with the username only (an unknown username is not
  stored: it may be a password typed in the wrong box) and the IP's keyed hash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import case, update
from werkzeug.security import check_password_hash, generate_password_hash

from gateway import audit, runtime
from gateway.db import utcnow
from gateway.logs import get_logger
from gateway.models.user import MAX_PASSWORD_LENGTH, User, normalize_username
from gateway.throttle import window_count

log = get_logger(__name__)
ANONYMOUS = "anonymous"
_dummy_hash: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt: the user when it succeeded, else why not (for the audit)."""

    user: User | None
    reason: str


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("relais-dummy-password", method="scrypt")
    return _dummy_hash


def _ip_subject(ip_hash: str) -> str:
    return f"login-ip:{ip_hash[:32]}"


def take_ip_attempt(ip_hash: str | None) -> bool:
    """Count this attempt against the IP *before* the password is checked; False
    when the IP is over its limit (True when Redis is away).

    Counting first means parallel guesses cannot all pass a check made before
    any of them was counted. A successful sign-in gives its count back
    (:func:`refund_ip_attempt`), so the limit is on failures.
    """
    if not ip_hash:
        return True
    rt = runtime.current()
    window = rt.settings.LOGIN_IP_WINDOW_MINUTES * 60
    try:
        attempts = window_count(rt.redis, _ip_subject(ip_hash), window)
    except RedisError as exc:
        log.warning("login_throttle_unavailable", error=type(exc).__name__)
        return True
    return attempts <= rt.settings.LOGIN_IP_MAX_FAILURES


def refund_ip_attempt(ip_hash: str | None) -> None:
    """A sign-in succeeded: it does not count against the IP."""
    if not ip_hash:
        return
    rt = runtime.current()
    try:
        window_count(rt.redis, _ip_subject(ip_hash), rt.settings.LOGIN_IP_WINDOW_MINUTES * 60, -1)
    except RedisError as exc:
        log.warning("login_throttle_unavailable", error=type(exc).__name__)


@dataclass(frozen=True)
class Reservation:
    """What counting an attempt found: the account was already locked, or
    this attempt was counted (and may itself have reached the limit)."""

    locked_before: bool
    locked_by_this: bool


def _reserve(user_id: int, now: dt.datetime) -> Reservation:
    """Count an attempt on the account before its password is checked, in a
    transaction of its own.

    One conditional UPDATE, so of 30 guesses sent at once only
    ``LOGIN_MAX_FAILURES`` get a password check; before, each read "not
    locked" before any of them had counted.
    """
    settings = runtime.current().settings
    open_lock = User.locked_until.is_(None) | (User.locked_until <= now)
    expired = User.locked_until.is_not(None) & (User.locked_until <= now)
    count = case((expired, 1), else_=User.failed_logins + 1)  # an expired lock: start again
    lock = now + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    with runtime.current().db.session() as session:
        row = session.execute(
            update(User)
            .where(User.id == user_id, open_lock)
            .values(
                failed_logins=count,
                locked_until=case((count >= settings.LOGIN_MAX_FAILURES, lock), else_=None),
            )
            .returning(User.locked_until)
            .execution_options(synchronize_session=False)
        ).first()
    if row is None:
        return Reservation(locked_before=True, locked_by_this=False)
    return Reservation(locked_before=False, locked_by_this=row[0] is not None)


def attempt(username: str, password: str, now: dt.datetime | None = None) -> Outcome:
    """Check one login attempt and record it (audit, counters); commit before returning."""
    now = now or utcnow()
    rt = runtime.current()
    settings = rt.settings
    name = normalize_username(username)[:64]
    password = password[:MAX_PASSWORD_LENGTH]
    with rt.db.session() as session:
        user = User.by_username(session, name) if name else None
        if user is None:
            check_password_hash(_dummy(), password)
            audit.record(session, ANONYMOUS, "login.failed", "user", "", "unknown username")
            return Outcome(None, "unknown")
        if not user.active:
            check_password_hash(_dummy(), password)
            audit.record(session, ANONYMOUS, "login.failed", "user", user.username, "disabled")
            return Outcome(None, "disabled")
        user_id = user.id
    reserved = _reserve(user_id, now)
    with rt.db.session() as session:
        user = session.get_one(User, user_id)
        password_ok = user.check_password(password)  # the same cost on every path
        if reserved.locked_before:
            audit.record(session, ANONYMOUS, "login.failed", "user", user.username, "locked")
            return Outcome(None, "locked")
        if not password_ok:
            audit.record(
                session, ANONYMOUS, "login.failed", "user", user.username, "wrong password"
            )
            if reserved.locked_by_this:
                audit.record(
                    session,
                    "system",
                    "login.locked",
                    "user",
                    user.username,
                    f"{user.failed_logins} failures; locked {settings.LOGIN_LOCK_MINUTES} min",
                )
            return Outcome(None, "wrong password")
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        audit.record(session, user.username, "login", "user", user.username)
        session.flush()
        session.expunge(user)
        return Outcome(user, "ok")
