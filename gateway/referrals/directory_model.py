"""The directory's data: agencies, focal points, rules as frozen dataclasses.

:mod:`gateway.referrals.directory` builds a :class:`Directory` from a
validated YAML file; routing, escalation and the console read it. The
canonical :meth:`Directory.to_dict` (durations in seconds, phones E.164) and
its :meth:`Directory.digest` detect changes between loads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TZ = "Africa/Bamako"
DEFAULT_ESCALATION = {"high": "15m", "medium": "4h", "low": "24h", "reminder_after": "3d"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# How the directory writes a count of each unit (``15m``); see format_duration.
UNIT_WORDS = {unit: f"%(n)d{unit}" for unit in _UNITS}
# An escalation or reminder later than this is a typing mistake (and a far
# one, 9999999d, overflows the date arithmetic of every timer).
MAX_DURATION = 90 * 86400


def parse_duration(text: str) -> int:
    """Return the seconds in ``15m``, ``4h``, ``1d``, ``30s`` (more than 0).

    ValueError for anything else (``"15m\\n"``, ``"²m"``, ``"0m"``). The 90-day
    bound is checked when a directory is loaded (:data:`MAX_DURATION`).
    """
    digits = text[:-1]
    if len(text) < 2 or text[-1] not in _UNITS or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"not a duration: {text!r}")
    seconds = int(digits) * _UNITS[text[-1]]
    if seconds <= 0:
        raise ValueError(f"duration {text!r} must be more than 0")
    return seconds


def format_duration(seconds: int, words: Mapping[str, object] = UNIT_WORDS) -> str:
    """Return ``seconds`` in the largest exact unit: 900 → ``15m``, 0 → ``0m``.

    ``words`` writes a count (``%(n)d``) of each unit (``d``, ``h``, ``m``,
    ``s``): the directory's own by default, translated ones in the console
    (:func:`gateway.console.phrases.duration_words`), so both pick the same unit.
    """
    for unit, size in _UNITS.items():
        if seconds and seconds % size == 0:
            return str(words[unit]) % {"n": seconds // size}
    return str(words["m"]) % {"n": 0}


@dataclass(frozen=True)
class Escalation:
    """Seconds to wait before escalating, per risk level, and before a reminder."""

    high: int
    medium: int
    low: int
    reminder_after: int

    def delay(self, risk: str) -> int:
        """Return the escalation delay for ``risk`` (high, medium or low)."""
        return {"high": self.high, "medium": self.medium, "low": self.low}[risk]


@dataclass(frozen=True)
class Webhook:
    """Where to push alerts; ``secret_env`` names the variable holding the secret."""

    url: str
    secret_env: str

    @property
    def is_example(self) -> bool:
        """True when the URL's host is reserved for examples and never answers.

        RFC 2606 and 6761 reserve ``example.com/net/org`` and the ``.example``,
        ``.test`` and ``.invalid`` names: the demo directory's made-up
        endpoints. Calling them could only fail and fill the failed jobs.
        """
        return is_example_url(self.url)


def is_example_url(url: str) -> bool:
    """True when ``url``'s host is a name reserved for examples (see :class:`Webhook`)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    labels = host.split(".")
    return labels[-1] in _EXAMPLE_TLDS or ".".join(labels[-2:]) in _EXAMPLE_DOMAINS


_EXAMPLE_TLDS = frozenset({"example", "test", "invalid"})
_EXAMPLE_DOMAINS = frozenset({"example.com", "example.net", "example.org"})


@dataclass(frozen=True)
class FocalPoint:
    """A person (role) who receives alerts; ``phone`` is E.164, ``areas`` empty = any."""

    id: str
    name: str
    phone: str
    languages: tuple[str, ...]
    areas: tuple[str, ...] = ()
    active: bool = True
    backup: str | None = None


@dataclass(frozen=True)
class Agency:
    """A partner agency; ``escalation`` is the effective one (defaults + overrides)."""

    id: str
    name: str
    focal_points: tuple[FocalPoint, ...]
    escalation: Escalation
    supervisor: str | None = None
    webhook: Webhook | None = None

    def focal_point(self, fp_id: str | None) -> FocalPoint | None:
        """Return the focal point ``fp_id`` of this agency, or ``None``."""
        return next((fp for fp in self.focal_points if fp.id == fp_id), None)


@dataclass(frozen=True)
class TimeWindow:
    """Opens on ``days`` at ``start`` (inclusive) until ``end`` (exclusive, maybe next day)."""

    days: tuple[str, ...]
    start: str
    end: str


@dataclass(frozen=True)
class Rule:
    """A routing rule; every empty condition means "any"."""

    id: str
    agency: str
    description: str = ""
    concerns: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    risk: tuple[str, ...] = ()
    sex: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    time: tuple[TimeWindow, ...] = ()


@dataclass(frozen=True)
class Directory:
    """A loaded directory. Agencies are sorted by id; rules keep their order."""

    agencies: tuple[Agency, ...]
    rules: tuple[Rule, ...]
    fallback_agency: str
    escalation: Escalation
    tz: str = DEFAULT_TZ
    demo: bool = False
    version: int = 1

    def agency(self, agency_id: str) -> Agency | None:
        """Return the agency ``agency_id``, or ``None``."""
        return next((a for a in self.agencies if a.id == agency_id), None)

    def escalation_for(self, agency_id: str) -> Escalation:
        """The escalation timings of ``agency_id``: its own, the directory's when it is unknown."""
        agency = self.agency(agency_id)
        return agency.escalation if agency is not None else self.escalation

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical JSON-able form (durations in seconds, phones E.164)."""
        result: dict[str, Any] = _plain(self)
        return result

    def digest(self) -> str:
        """Return the sha256 (hex) of the canonical JSON of :meth:`to_dict`."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value
