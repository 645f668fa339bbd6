"""What changed between two directories, in words (phone numbers masked).

Used when a directory is loaded: the change lines are stored with the new
version and shown to whoever loaded it.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from gateway.phones import mask
from gateway.referrals.directory import (
    Directory,
    Escalation,
    TimeWindow,
    Webhook,
    format_duration,
)


def _show(name: str, value: Any) -> str:
    if name == "phone" and isinstance(value, str):
        return mask(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and name in ("high", "medium", "low", "reminder_after"):
        return format_duration(value)
    if isinstance(value, TimeWindow):
        return f"{','.join(value.days)} {value.start}-{value.end}"
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(name, v) for v in value) + "]" if value else "(any)"
    if isinstance(value, Webhook):
        return f"{value.url} (secret in ${value.secret_env})"
    return "(none)" if value is None else str(value)


def _changes(label: str, old: Any, new: Any, skip: tuple[str, ...] = ()) -> list[str]:
    out: list[str] = []
    for f in fields(new):
        before, after = getattr(old, f.name), getattr(new, f.name)
        if f.name in skip or before == after:
            continue
        if isinstance(before, Escalation) and isinstance(after, Escalation):
            out += _changes(f"{label}escalation ", before, after)
        elif _show(f.name, before) == _show(f.name, after):  # masks can coincide
            out.append(f"{label}{f.name}: changed ({_show(f.name, after)})")
        else:
            out.append(f"{label}{f.name}: {_show(f.name, before)} → {_show(f.name, after)}")
    return out


def _by_id(
    label: str, old: tuple[Any, ...], new: tuple[Any, ...], skip: tuple[str, ...] = ()
) -> list[str]:
    before = {item.id: item for item in old}
    after = {item.id: item for item in new}
    out = [f"{label} removed: {key}" for key in before if key not in after]
    for position, item in enumerate(new, start=1):
        if item.id not in before:
            out.append(f"{label} added: {item.id} (position {position})")
        else:
            out += _changes(f"{label} {item.id}: ", before[item.id], item, skip)
    common_old = [key for key in before if key in after]
    common_new = [key for key in after if key in before]
    if common_old != common_new:
        out.append(f"{label}s reordered: {', '.join(common_old)} → {', '.join(common_new)}")
    return out


def diff(old: Directory | None, new: Directory) -> list[str]:
    """Describe what changed from ``old`` to ``new``, one line per change.

    ``old`` ``None`` describes ``new`` as created. Phone numbers are masked.
    Returns ``[]`` when nothing changed.
    """
    if old is None:
        old = Directory((), (), "", new.escalation, new.tz, new.demo, new.version)
        out = [f"directory created ({new.digest()[:12]})"]
    else:
        out = _changes("", old, new, skip=("agencies", "rules"))
    for agency in new.agencies:
        previous = old.agency(agency.id)
        if previous is None:
            count = len(agency.focal_points)
            out.append(f"agency added: {agency.id} ({agency.name}, {count} focal points)")
            continue
        out += _changes(f"agency {agency.id}: ", previous, agency, skip=("focal_points",))
        out += _by_id(
            f"agency {agency.id}: focal point", previous.focal_points, agency.focal_points
        )
    out += [f"agency removed: {a.id}" for a in old.agencies if new.agency(a.id) is None]
    out += _by_id("rule", old.rules, new.rules)
    return out
