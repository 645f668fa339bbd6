"""Key rotation: re-encrypt every encrypted column under the primary data key.

Rotating ``DATA_KEYS`` takes three steps:

1. put a new key first (``DATA_KEYS=new,old``) and restart every process, so
   new writes use it while old values stay readable;
2. run ``relais keys rotate`` (:func:`rotate_all`): every
   :class:`~gateway.crypto.EncryptedText` column of every table — found in
   ``Base.metadata`` by type, so a new model is covered without any change
   here — is re-encrypted under the new key, the keyed phone hashes are
   recomputed with it, and any encrypted value left in Redis by an older
   version (conversation state) is re-encrypted;
3. when the report shows no unreadable value, drop the old key and restart.

The work is done in batches ordered by primary key, each batch in its own
transaction, with plain SQL (no ORM type processing), so it works for any
table. Each update only applies if the stored value is still the one read
(compare-and-swap): a value the application rewrote meanwhile is left alone,
since it was written under the new primary key anyway. Re-running after an
interruption simply goes over everything again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from redis import Redis
from redis.exceptions import RedisError, WatchError
from sqlalchemy import Column, Connection, Text, and_, column, select, table, update
from sqlalchemy.exc import IntegrityError

import gateway.models  # noqa: F401  (registers every table in Base.metadata)
from gateway.conversations import LIVE_MARK
from gateway.crypto import DecryptionError, EncryptedText, Keyring
from gateway.db import Base, Database

# Keyed look-up hashes to recompute: (table, encrypted source column, hash column).
LOOKUP_HASHES: tuple[tuple[str, str, str], ...] = (("contacts", "phone", "phone_hash"),)
# Redis keys that held values encrypted with the keyring: conversation state
# before 2026-11-29 (now only a liveness mark; see gateway.conversations).
# Encrypted values kept in Redis: conversation states and simulator phones.
CACHE_PATTERNS: tuple[str, ...] = ("relais:conv:*", "relais:sim:*")
# At most this many unreadable values are listed by place (all are counted).
MAX_LISTED = 100
_UNREADABLE = (DecryptionError, InvalidToken, UnicodeError, ValueError)

Progress = Callable[[str, int], None]


@dataclass
class TableRotation:
    """What rotation did in one table."""

    rows: int = 0
    reencrypted: int = 0
    unreadable: int = 0
    changed_meanwhile: int = 0
    hashes_updated: int = 0
    hash_conflicts: int = 0


@dataclass
class RotationReport:
    """Counts per table, and where the values no key could decrypt are."""

    tables: dict[str, TableRotation] = field(default_factory=dict)
    unreadable: list[tuple[str, str, Any]] = field(default_factory=list)
    cache_reencrypted: int = 0
    cache_unreadable: int = 0
    cache_error: str = ""  # Redis failed mid-way: run the command again

    @property
    def unreadable_count(self) -> int:
        """Values (database and cache) no configured key decrypts."""
        return sum(t.unreadable for t in self.tables.values()) + self.cache_unreadable

    @property
    def complete(self) -> bool:
        """True when every value is now under the primary key (old keys may go)."""
        return (
            self.unreadable_count == 0
            and not self.cache_error
            and not any(t.hash_conflicts for t in self.tables.values())
        )

    def table(self, name: str) -> TableRotation:
        """The (possibly new) counts of table ``name``."""
        return self.tables.setdefault(name, TableRotation())


def encrypted_columns(metadata: Any = None) -> dict[str, list[str]]:
    """Every table with :class:`EncryptedText` columns → those columns' names."""
    found: dict[str, list[str]] = {}
    for tbl in (metadata or Base.metadata).sorted_tables:
        names = [c.name for c in tbl.columns if isinstance(c.type, EncryptedText)]
        if names:
            found[tbl.name] = names
    return found


def _primary_key(name: str) -> str:
    pk: Sequence[Column[Any]] = list(Base.metadata.tables[name].primary_key.columns)
    if len(pk) != 1:
        raise ValueError(f"table {name} needs a single-column primary key for rotation")
    return pk[0].name


def _raw_table(name: str, pk: str, columns: Iterable[str]) -> Any:
    # Plain text columns: values are read and written exactly as stored.
    return table(name, column(pk), *(column(c, Text) for c in columns))


def _each_batch(
    db: Database,
    raw: Any,
    pk: str,
    batch_size: int,
    handle: Callable[[Connection, Sequence[Any]], None],
) -> Iterable[int]:
    """Call ``handle`` on each batch of rows in its own transaction; yield batch sizes."""
    last: Any = None
    while True:
        with db.engine.begin() as conn:
            query = select(raw).order_by(raw.c[pk]).limit(batch_size)
            if last is not None:
                query = query.where(raw.c[pk] > last)
            rows = conn.execute(query).all()
            if rows:
                handle(conn, rows)
        if not rows:
            return
        last = rows[-1]._mapping[pk]
        yield len(rows)  # after the commit: an interruption loses no finished batch


def _rotate_table(
    db: Database,
    keyring: Keyring,
    name: str,
    columns: list[str],
    report: RotationReport,
    batch_size: int,
    progress: Progress | None,
) -> None:
    pk = _primary_key(name)
    raw = _raw_table(name, pk, columns)
    counts = report.table(name)

    def handle(conn: Connection, rows: Sequence[Any]) -> None:
        for row in rows:
            values = row._mapping
            counts.rows += 1
            for col in columns:
                token = values[col]
                if token is None:
                    continue
                try:
                    fresh = keyring.rotate(str(token))
                except _UNREADABLE:
                    counts.unreadable += 1
                    if len(report.unreadable) < MAX_LISTED:
                        report.unreadable.append((name, col, values[pk]))
                    continue
                result = conn.execute(
                    update(raw)
                    .where(and_(raw.c[pk] == values[pk], raw.c[col] == token))
                    .values({col: fresh})
                )
                if result.rowcount:
                    counts.reencrypted += 1
                else:
                    counts.changed_meanwhile += 1

    for size in _each_batch(db, raw, pk, batch_size, handle):
        if progress is not None:
            progress(name, size)


def _rehash(
    db: Database,
    keyring: Keyring,
    spec: tuple[str, str, str],
    report: RotationReport,
    batch_size: int,
) -> None:
    name, source, target = spec
    pk = _primary_key(name)
    raw = table(name, column(pk), column(source, Text), column(target, Text))
    counts = report.table(name)

    def handle(conn: Connection, rows: Sequence[Any]) -> None:
        for row in rows:
            values = row._mapping
            if values[source] is None:
                continue  # erased: its placeholder hash must stay unmatched
            try:
                wanted = keyring.lookup_hash(keyring.decrypt(str(values[source])))
            except _UNREADABLE:
                continue  # already counted as unreadable by the rotation pass
            if wanted == values[target]:
                continue
            try:
                with conn.begin_nested():
                    result = conn.execute(
                        update(raw)
                        .where(and_(raw.c[pk] == values[pk], raw.c[target] == values[target]))
                        .values({target: wanted})
                    )
            except IntegrityError:
                # Two rows for one number (e.g. created under two keys): keep both.
                counts.hash_conflicts += 1
                continue
            counts.hashes_updated += int(bool(result.rowcount))

    for _size in _each_batch(db, raw, pk, batch_size, handle):
        pass


def rotate_cache(redis: Redis, keyring: Keyring, report: RotationReport | None = None) -> int:
    """Re-encrypt cached values in Redis under the primary key, keeping their TTL.

    Returns how many were re-encrypted. A key rewritten by the application
    meanwhile (so already under the new key) is skipped.
    """
    done = 0
    for pattern in CACHE_PATTERNS:
        for key in redis.scan_iter(match=pattern, count=500):
            with redis.pipeline() as pipe:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    raw = pipe.get(key)
                    ttl = pipe.pttl(key)
                    if not isinstance(raw, bytes) or raw == LIVE_MARK.encode():
                        continue  # a liveness mark holds nothing to encrypt
                    try:
                        fresh = keyring.rotate(raw.decode("ascii"))
                    except _UNREADABLE:
                        if report is not None:
                            report.cache_unreadable += 1
                        continue
                    pipe.multi()
                    if isinstance(ttl, int) and ttl > 0:
                        pipe.set(key, fresh, px=ttl)
                    else:
                        pipe.set(key, fresh)
                    pipe.execute()
                    done += 1
                except WatchError:
                    continue
    if report is not None:
        report.cache_reencrypted += done
    return done


def rotate_all(
    db: Database,
    keyring: Keyring,
    *,
    redis: Redis | None = None,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> RotationReport:
    """Re-encrypt every encrypted column (and the Redis cache) under the primary key.

    Also recomputes each keyed look-up hash (``contacts.phone_hash``) with the
    primary key. Values no key of ``keyring`` decrypts are counted and listed
    by ``(table, column, id)`` in the report, never raised. ``progress`` is
    called with ``(table, rows)`` after each batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = RotationReport()
    for name, columns in encrypted_columns().items():
        _rotate_table(db, keyring, name, columns, report, batch_size, progress)
    for spec in LOOKUP_HASHES:
        _rehash(db, keyring, spec, report, batch_size)
    if redis is not None:
        try:
            rotate_cache(redis, keyring, report)
        except RedisError as exc:
            # The database part is done and reported; the cache is retried by
            # running the command again once Redis answers.
            report.cache_error = type(exc).__name__
    return report
