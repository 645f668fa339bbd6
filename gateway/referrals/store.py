"""The directory in the database: loading a file, and the directory in force.

Loading validates the file (errors name file and line), and is idempotent:
the same content (same digest) changes nothing. A new content is stored as a
new version, with the changes from the previous one (phones masked), and the
``focal_points`` table is brought in line: new people added, changed ones
updated, removed ones marked removed (kept for the history).

The place hierarchy is versioned the same way (``places_versions``, saved from
the console): :func:`places` gives the newest stored version, else the shipped
file; a new version may not remove a place the directory in force uses.
Which version is newest is asked through :mod:`gateway.referrals.lookups`,
which remembers it for the transaction; storing a version forgets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db import Database
from gateway.logs import get_logger
from gateway.models import Contact, DirectoryVersion, FocalPointRecord, PlacesVersion
from gateway.referrals.directory import Directory, DirectoryError, load_directory_text
from gateway.referrals.directory_diff import diff
from gateway.referrals.lookups import forget_focal_points, forget_newest, newest_from, newest_key
from gateway.referrals.places import (
    DEFAULT_PLACES,
    PlacesError,
    PlaceTree,
    Problem,
    load_places,
)
from gateway.referrals.places import load_places_text as parse_places_text
from gateway.referrals.version_lock import lock_versions

log = get_logger(__name__)


@dataclass(frozen=True)
class LoadResult:
    """What loading a directory file did."""

    version_id: int
    changed: bool
    changes: list[str]
    # Versions saved from elsewhere (the console) after this file's last load:
    # kept when the file is unchanged (``keep_later_edits``), else replaced.
    edited_since: int | None = None


_places: PlaceTree | None = None
# Parsed place lists by (version id, digest), like directories below.
_places_cache: dict[tuple[int, str], PlaceTree] = {}
# Parsed directories by (version id, digest): the id alone is not enough when a
# database is recreated under a running process (tests do this).
_cache: dict[tuple[int, str], Directory] = {}
_V = TypeVar("_V", DirectoryVersion, PlacesVersion)


def shipped_places() -> PlaceTree:
    """The shipped place hierarchy (``gateway/data/places-ml.yaml``, loaded once)."""
    global _places
    if _places is None:
        _places = load_places()
    return _places


def _latest_places(session: Session) -> PlacesVersion | None:
    return session.scalars(select(PlacesVersion).order_by(PlacesVersion.id.desc()).limit(1)).first()


def places(session: Session | None = None) -> PlaceTree:
    """The place hierarchy in force: the newest stored version, else the shipped file.

    Without a ``session`` (pure code paths, no database): the shipped file.
    """
    newest = newest_key(session, PlacesVersion) if session is not None else None
    if newest is None or session is None:
        return shipped_places()
    key = (newest.id, newest.digest)
    if key not in _places_cache:
        document = session.get_one(PlacesVersion, newest.id).document
        _places_cache[key] = parse_places_text(document, f"places version {newest.id}")
    return _places_cache[key]


def places_version_id(session: Session) -> int | None:
    """The id of the stored places version in force (None: the shipped file)."""
    newest = newest_key(session, PlacesVersion)
    return newest.id if newest is not None else None


def places_document(session: Session) -> str:
    """The YAML text of the place hierarchy in force (stored version or shipped file)."""
    row = _latest_places(session)
    return row.document if row is not None else DEFAULT_PLACES.read_text(encoding="utf-8")


def places_diff(old: PlaceTree, new: PlaceTree) -> list[str]:
    """What changed between two place hierarchies: codes added, removed, renamed or moved."""
    lines = []
    for code in new.codes():
        after = new.get(code)
        before = old.get(code)
        assert after is not None  # noqa: S101  # nosec B101 - codes() lists known places
        if before is None:
            lines.append(f"added place {code} ({after.name})")
        elif (before.name, before.names) != (after.name, after.names):
            lines.append(f"renamed place {code}: {before.name} → {after.name}")
        elif (before.kind, before.parent) != (after.kind, after.parent):
            lines.append(f"changed place {code}: {after.kind} in {after.parent}")
    lines += [f"removed place {code} ({old.name(code)})" for code in old.codes() if code not in new]
    return lines


def _used_codes(directory: Directory) -> dict[str, list[str]]:
    """Place codes the directory uses → who uses them (``rule x``, ``focal point y``)."""
    used: dict[str, list[str]] = {}
    for rule in directory.rules:
        for code in rule.places:
            used.setdefault(code, []).append(f"rule {rule.id}")
    for agency in directory.agencies:
        for person in agency.focal_points:
            for code in person.areas:
                used.setdefault(code, []).append(f"focal point {person.id}")
    return used


def removal_problems(
    session: Session, old: PlaceTree, new: PlaceTree, source: str
) -> list[Problem]:
    """Problems for each place code of ``old`` missing from ``new`` that the directory uses."""
    directory = current(session)
    used = _used_codes(directory) if directory is not None else {}
    return [
        Problem(
            source,
            1,
            f"place {code} is used by the directory in force ({', '.join(users)}): "
            "change the directory before removing it",
        )
        for code, users in sorted(used.items())
        if code in old and code not in new
    ]


def load_places_text(
    db: Database, text: str, source: str, loaded_by: str = "cli", based_on: int | None = None
) -> LoadResult:
    """Validate and store a places file's ``text`` as the hierarchy in force.

    Idempotent (same places, same digest: nothing stored). Raises
    :class:`PlacesError` on an invalid file, or when a place code that the
    directory in force uses (rules, focal-point areas) would be removed;
    :class:`~gateway.referrals.version_lock.ChangedMeanwhile` when
    ``based_on`` (the version an editor was opened on) is no longer the newest.
    """
    new = parse_places_text(text, source)
    with db.session() as session:
        lock_versions(session, PlacesVersion, based_on)
        newest = newest_key(session, PlacesVersion)
        if newest is not None and newest.digest == new.digest():
            return LoadResult(newest.id, False, [])
        old = places(session)
        problems = removal_problems(session, old, new, source)
        if problems:
            raise PlacesError(problems)
        changes = places_diff(old, new)
        row = _add_version(session, PlacesVersion, new.digest(), text, source, changes, loaded_by)
        session.flush()
        log.info("places_loaded", version=row.id, changes=len(changes), places=len(new))
        return LoadResult(row.id, True, changes)


def _add_version(
    session: Session,
    model: type[_V],
    digest: str,
    text: str,
    source: str,
    changes: list[str],
    loaded_by: str,
) -> _V:
    """Add a new directory or places version to ``session``; it is in force from now on."""
    row = model(
        digest=digest,
        source=source[:255],
        document=text,
        changes="\n".join(changes),
        loaded_by=loaded_by[:64],
    )
    session.add(row)
    forget_newest(session)  # the newest version changes now
    return row


def current(session: Session) -> Directory | None:
    """The directory in force (None when none was ever loaded)."""
    newest = newest_key(session, DirectoryVersion)
    if newest is None:
        return None
    key = (newest.id, newest.digest)
    if key not in _cache:
        row = session.get_one(DirectoryVersion, newest.id)
        # Read back without the checks added since it was stored: an upgrade
        # must never stop routing (they apply to the next load or edit).
        _cache[key] = load_directory_text(row.document, row.source, places(session), strict=False)
    return _cache[key]


def load_text(
    db: Database,
    text: str,
    source: str,
    *,
    loaded_by: str = "cli",
    refuse_demo: bool = False,
    keep_later_edits: bool = False,
    based_on: int | None = None,
) -> LoadResult:
    """Validate and store a directory file's ``text``; raises ``DirectoryError``.

    ``refuse_demo`` (production): a file marked ``demo: true`` is refused.
    ``keep_later_edits`` (the release step): a file unchanged since its last
    load from ``source`` does not replace the versions saved since in the
    console. Otherwise every deploy undid them: a focal point switched off
    there (a lost phone) got referrals again. ``based_on``: the version a
    console editor was opened on (see :mod:`gateway.referrals.version_lock`).
    """
    with db.session() as session:
        lock_versions(session, DirectoryVersion, based_on)
        new = load_directory_text(text, source, places(session))
        if new.demo and refuse_demo:
            raise DirectoryError([Problem(source, _line_of(text, "demo:"), DEMO_REFUSED)])
        newest = newest_key(session, DirectoryVersion)
        if newest is not None and newest.digest == new.digest():
            return LoadResult(newest.id, False, [])
        last = newest_from(session, source)
        edited = (
            last.id if last is not None and newest is not None and newest.id > last.id else None
        )
        if keep_later_edits and edited is not None and last.digest == new.digest():
            return LoadResult(newest.id, False, [], edited_since=edited)
        changes = diff(current(session), new)
        row = _add_version(
            session, DirectoryVersion, new.digest(), text, source, changes, loaded_by
        )
        _sync_focal_points(session, new)
        session.flush()
        log.info("directory_loaded", version=row.id, changes=len(changes), demo=new.demo)
        return LoadResult(row.id, True, changes, edited_since=edited)


def load_file(db: Database, path: str | Path, **options: Any) -> LoadResult:
    """Validate and store the directory file at ``path`` (``options``: those of
    :func:`load_text`); raises ``DirectoryError``."""
    text = Path(path).read_text(encoding="utf-8")
    return load_text(db, text, str(path), **options)


DEMO_REFUSED = (
    "demo: true marks a demonstration directory (made-up numbers that would receive real"
    " referrals): refused in production (ALLOW_DEMO_DIRECTORY=1 on a training server)"
)


def _line_of(text: str, prefix: str) -> int:
    """The 1-based line of ``text`` that starts with ``prefix`` (1 if none)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(prefix):
            return number
    return 1


def _sync_focal_points(session: Session, directory: Directory) -> None:
    forget_focal_points(session)  # who is a focal point changes now
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
