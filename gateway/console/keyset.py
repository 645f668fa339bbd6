"""Newest-first pages by row id (keyset pagination) for the console's logs.

The message log and the audit log grow without end: ``OFFSET`` would read
every skipped row, while ``id < before`` reads one page from the index
whatever the depth. A page link carries the last id shown as ``before``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

T = TypeVar("T")


def form_id(text: str | None) -> int | None:
    """A row id from a ``before=`` page link, or None (not ASCII digits, or absurdly long)."""
    raw = text or ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


def newest_first(
    session: Session, query: Select[tuple[T]], id_column: Any, before: int | None, size: int
) -> tuple[list[T], int | None]:
    """One page of ``query`` by descending ``id_column``, below ``before`` when given,
    and the ``before`` of the next page (None on the last one)."""
    if before is not None:
        query = query.where(id_column < before)
    rows = list(session.scalars(query.order_by(id_column.desc()).limit(size + 1)))
    page = rows[:size]
    return page, (getattr(page[-1], id_column.key) if len(rows) > size else None)
