"""Database engine, sessions and the declarative base.

SQLite by default (a file, WAL mode, so the web and the worker can share it),
PostgreSQL through ``DATABASE_URL`` with psycopg 3. Times are stored in UTC
and always come back timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from gateway.logs import get_logger

log = get_logger(__name__)
T = TypeVar("T")
# SQLSTATEs PostgreSQL gives the transaction that lost a race and may just run
# again: serialization failure, deadlock detected.
_CONFLICT_STATES = frozenset({"40001", "40P01"})

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A datetime stored as naive UTC and read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Convert to naive UTC for storage."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use gateway.db.utcnow()")
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # type: ignore[no-any-return]

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Attach UTC on the way out."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]


def is_conflict(exc: BaseException) -> bool:
    """True when ``exc`` only says that another transaction changed the same rows
    first: a stale version (``Referral.version``), a serialization failure or a
    deadlock. Running the whole transaction again decides on what the winner
    committed."""
    if isinstance(exc, StaleDataError):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _CONFLICT_STATES


def retry_on_conflict(work: Callable[[], T], attempts: int = 3) -> T:
    """Run ``work`` — one whole transaction — again when it lost a race
    (:func:`is_conflict`), up to ``attempts`` times in all; other errors, and the
    last conflict, are raised."""
    for attempt in range(1, attempts):
        try:
            return work()
        except Exception as exc:
            if not is_conflict(exc):
                raise
            log.info("transaction_retried", attempt=attempt, error=type(exc).__name__)
    return work()


def take_write_lock(session: Session) -> None:
    """SQLite: take the database's write lock now (``BEGIN IMMEDIATE``, waiting
    for ``busy_timeout``), so what the transaction reads stays what it writes
    over; must be its first statement. PostgreSQL: nothing (row locks do it).

    SQLite ignores ``FOR UPDATE`` and pysqlite reads outside any transaction,
    so two transactions can read the same row and both write over it.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual ways."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings Relais relies on."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the web process read while the worker writes;
            # busy_timeout waits for the lock instead of failing at once.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    return create_engine(url, **kwargs)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only session whose every query sees the same moment.

        For figures read in several statements (the reports) that must agree
        with each other. PostgreSQL: a REPEATABLE READ transaction. SQLite
        (the driver begins no transaction for reads): an explicit BEGIN, which
        in WAL mode holds one snapshot from its first read to the end.
        """
        session = self.sessions()
        try:
            if self.engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            elif self.engine.dialect.name == "sqlite":
                session.execute(text("BEGIN"))
            yield session
        finally:
            session.rollback()  # nothing to keep: it only read
            session.close()

    def ping(self) -> None:
        """Run a trivial query; raises when the database is unreachable."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
