"""Console users: staff accounts with a role, never reporters.

Passwords are stored as scrypt hashes (Werkzeug). ``session_epoch`` is part of
the id Flask-Login keeps in the session cookie: changing a password or
disabling an account bumps it, which signs out every open session of that
account. The username and role are staff data and stay in clear.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import Boolean, CheckConstraint, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.db import Base, UTCDateTime, utcnow

ROLES = ("admin", "coordinator", "agency", "trainer")
LANGUAGES = ("fr", "en")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
RESERVED_USERNAMES = frozenset({"anonymous", "system", "cli"})
# Refused whatever their length: the first guesses of any attacker.
_COMMON = {
    "password1234",
    "motdepasse123",
    "azertyuiop12",
    "qwertyuiop12",
    "123456789012",
    "000000000000",
    "changeme1234",
    "administrator",
    "unicefmali2024",
    "bamako123456",
}


class User(Base):
    """A console account: admin, coordinator, agency staff or trainer."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'coordinator', 'agency', 'trainer')", name="role"),
        CheckConstraint("role != 'agency' OR agency_id IS NOT NULL", name="agency_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # A directory agency id (e.g. "iom"); required for the agency role.
    agency_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # "fr" or "en"; None follows the browser (Accept-Language), then French.
    language: Mapped[str | None] = mapped_column(String(8))
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)

    # --- Flask-Login's user protocol -------------------------------------

    @property
    def is_authenticated(self) -> bool:
        """Always True for a loaded account (anonymous users are another class)."""
        return True

    @property
    def is_active(self) -> bool:
        """False once the account is disabled."""
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        """Never anonymous."""
        return False

    def get_id(self) -> str:
        """The id kept in the session: ``<id>.<session_epoch>``."""
        return f"{self.id}.{self.session_epoch or 0}"

    # --- passwords and lock-out --------------------------------------------

    def set_password(self, password: str) -> None:
        """Hash and store ``password`` (call :func:`password_problem` first)."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def is_locked(self, now: dt.datetime | None = None) -> bool:
        """True while a lock-out is in force."""
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def end_sessions(self) -> None:
        """Sign out every open session of this account."""
        self.session_epoch = (self.session_epoch or 0) + 1

    @classmethod
    def by_username(cls, session: Session, username: str) -> User | None:
        """The account called ``username`` (case-insensitive), if any."""
        name = normalize_username(username)
        return session.scalars(select(cls).where(cls.username == name)).first()


def normalize_username(username: str) -> str:
    """Usernames are compared trimmed and lower-case."""
    return username.strip().lower()


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot be used, or None when it can."""
    if not USERNAME_PATTERN.match(username):
        return "username: 3 to 64 characters among a-z 0-9 . _ -, starting with a letter or digit"
    if username in RESERVED_USERNAMES:
        return f"username {username!r} is reserved (it names the audit log's non-human actors)"
    return None


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is too weak, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password too short: at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"password too long: at most {MAX_PASSWORD_LENGTH} characters"
    if not password.strip():
        return "password is blank"
    if len(set(password)) < 5:
        return "password too weak: use at least 5 different characters"
    lowered = password.lower()
    if lowered in _COMMON:
        return "password too common"
    if username and username.lower() in lowered:
        return "password must not contain the username"
    return None
