"""The directory in the database: loading a file, and the directory in force.

Loading validates the file (errors name file and line), and is idempotent:
the same content (same digest) changes nothing. A new content is stored as a
new version, with the changes from the previous one (phones masked), and the
``focal_points`` table is brought in line: new people added, changed ones
updated, removed ones marked removed (kept for the history).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db import Database
from gateway.logs import get_logger
from gateway.models import Contact, DirectoryVersion, FocalPointRecord
from gateway.referrals.directory import Directory, load_directory_text
from gateway.referrals.directory_diff import diff
from gateway.referrals.places import PlaceTree, load_places

log = get_logger(__name__)


@dataclass(frozen=True)
class LoadResult:
    """What loading a directory file did."""

    version_id: int
    changed: bool
    changes: list[str]


_places: PlaceTree | None = None
# Parsed directories by (version id, digest): the id alone is not enough when a
# database is recreated under a running process (tests do this).
_cache: dict[tuple[int, str], Directory] = {}


def places() -> PlaceTree:
    """The place hierarchy (loaded once per process)."""
    global _places
    if _places is None:
        _places = load_places()
    return _places


def _latest(session: Session) -> DirectoryVersion | None:
    return session.scalars(
        select(DirectoryVersion).order_by(DirectoryVersion.id.desc()).limit(1)
    ).first()


def current(session: Session) -> Directory | None:
    """The directory in force (None when none was ever loaded)."""
    row = _latest(session)
    if row is None:
        return None
    key = (row.id, row.digest)
    if key not in _cache:
        _cache[key] = load_directory_text(row.document, row.source, places())
    return _cache[key]


def load_text(db: Database, text: str, source: str, *, loaded_by: str = "cli") -> LoadResult:
    """Validate and store a directory file's ``text``; raises ``DirectoryError``."""
    new = load_directory_text(text, source, places())
    with db.session() as session:
        latest = _latest(session)
        old = current(session) if latest is not None else None
        if latest is not None and latest.digest == new.digest():
            return LoadResult(latest.id, False, [])
        changes = diff(old, new)
        row = DirectoryVersion(
            digest=new.digest(),
            source=source[:255],
            document=text,
            changes="\n".join(changes),
            loaded_by=loaded_by[:64],
        )
        session.add(row)
        _sync_focal_points(session, new)
        session.flush()
        log.info("directory_loaded", version=row.id, changes=len(changes), demo=new.demo)
        return LoadResult(row.id, True, changes)


def load_file(db: Database, path: str | Path, *, loaded_by: str = "cli") -> LoadResult:
    """Validate and store the directory file at ``path``; raises ``DirectoryError``."""
    text = Path(path).read_text(encoding="utf-8")
    return load_text(db, text, str(path), loaded_by=loaded_by)


def _sync_focal_points(session: Session, directory: Directory) -> None:
    existing = {fp.id: fp for fp in session.scalars(select(FocalPointRecord))}
    seen: set[str] = set()
    for agency in directory.agencies:
        for person in agency.focal_points:
            seen.add(person.id)
            contact = Contact.get_or_create(session, person.phone)
            record = existing.get(person.id)
            if record is None:
                record = FocalPointRecord(id=person.id)
                session.add(record)
            record.agency_id = agency.id
            record.contact_id = contact.id
            record.name = person.name
            record.languages = ",".join(person.languages)
            record.active = person.active
            record.removed = False
    for fp_id, record in existing.items():
        if fp_id not in seen:
            record.removed = True
            record.active = False


def focal_point_for(session: Session, contact_id: int) -> FocalPointRecord | None:
    """The (not removed) focal point using this contact's number, if any."""
    return session.scalars(
        select(FocalPointRecord).where(
            FocalPointRecord.contact_id == contact_id, FocalPointRecord.removed.is_(False)
        )
    ).first()
