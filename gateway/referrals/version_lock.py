"""Storing a new directory or places version: one save at a time, over the version it was made from.

The console's editors send the version they were opened on
(``base_version``); a save over a newer one is refused with a 409. Checked
before the save's transaction only, two operators saving at the same instant
both passed the check, and the second version, made from a document without
the first one's change, silently undid it (a focal point switched off for a
lost phone was switched on again). :func:`lock_versions` is the first thing
a save's transaction does: it waits for any other save to commit, then
compares the newest version with the one the editor was opened on.

One lock covers both tables: a place list removing a place and a directory
starting to use it, saved at once, each checked against the other's old
version and both got in.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from gateway.db import take_write_lock
from gateway.models import DirectoryVersion, PlacesVersion
from gateway.referrals.lookups import newest_key

# pg_advisory_xact_lock's key for "saving a directory or places version" ("RELAISV").
_ADVISORY_KEY = 0x52454C41495356
NO_VERSION = 0  # ``based_on`` of an editor opened when nothing was stored yet


class ChangedMeanwhile(Exception):
    """Someone stored a newer version since the editor was opened."""

    def __init__(self, latest: int | None) -> None:
        self.latest = latest
        super().__init__(f"a newer version ({latest}) was stored meanwhile")


def lock_versions(
    session: Session,
    model: type[DirectoryVersion | PlacesVersion],
    based_on: int | None = None,
) -> None:
    """Wait until no other save of a version is in progress, then hold that
    until ``session``'s transaction ends; must be its first statement.

    ``based_on``: the version id the editor was opened on (:data:`NO_VERSION`
    when there was none); :class:`ChangedMeanwhile` when another version of
    ``model`` is newest now. None (a file loaded from the command line):
    no check, only the wait.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
    else:
        # The check below and the save then see the same, newest, state.
        take_write_lock(session)
    if based_on is None:
        return
    newest = newest_key(session, model)
    latest = newest.id if newest is not None else NO_VERSION
    if latest != based_on:
        raise ChangedMeanwhile(newest.id if newest is not None else None)
