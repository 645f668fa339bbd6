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
* Every outcome is audited with the username only (an unknown username is not
  stored: it may be a password typed in the wrong box) and the IP's keyed hash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from redis.exceptions import RedisError
from werkzeug.security import check_password_hash, generate_password_hash

from gateway import audit, runtime
from gateway.db import utcnow
from gateway.logs import get_logger
from gateway.models.user import MAX_PASSWORD_LENGTH, User, normalize_username
from gateway.throttle import peek_count, window_count

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


def ip_throttled(ip_hash: str | None) -> bool:
    """True when this IP failed too often recently (False when Redis is away)."""
    if not ip_hash:
        return False
    rt = runtime.current()
    window = rt.settings.LOGIN_IP_WINDOW_MINUTES * 60
    try:
        failures = peek_count(rt.redis, _ip_subject(ip_hash), window)
    except RedisError as exc:
        log.warning("login_throttle_unavailable", error=type(exc).__name__)
        return False
    return failures >= rt.settings.LOGIN_IP_MAX_FAILURES


def count_ip_failure(ip_hash: str | None) -> None:
    """Count one failed attempt against this IP (nothing when Redis is away)."""
    if not ip_hash:
        return
    rt = runtime.current()
    try:
        window_count(rt.redis, _ip_subject(ip_hash), rt.settings.LOGIN_IP_WINDOW_MINUTES * 60)
    except RedisError as exc:
        log.warning("login_throttle_unavailable", error=type(exc).__name__)


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
        password_ok = user.check_password(password)
        if not user.active:
            audit.record(session, ANONYMOUS, "login.failed", "user", user.username, "disabled")
            return Outcome(None, "disabled")
        if user.is_locked(now):
            audit.record(session, ANONYMOUS, "login.failed", "user", user.username, "locked")
            return Outcome(None, "locked")
        if not password_ok:
            if user.locked_until is not None:  # an expired lock: start counting again
                user.locked_until = None
                user.failed_logins = 1
            else:
                user.failed_logins = User.failed_logins + 1
            session.flush()
            session.refresh(user)
            audit.record(
                session, ANONYMOUS, "login.failed", "user", user.username, "wrong password"
            )
            if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
                user.locked_until = now + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
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
