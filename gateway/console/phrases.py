"""Console words for the English sentences that shared code writes.

The directory and places checks, the change lines stored with a new version,
routing decisions, the notes Relais adds to referral events and audit details
are written in English by code that the CLI and the logs share, and several of
them are stored. They stay English there; the console shows them in the
user's language here, at presentation: a :class:`Phrase` pairs the English
``str.format`` template the code writes with its gettext text (``%(name)s``
placeholders); :func:`translate` recognises the sentence, takes its values
back and renders the translation. A value is itself translated when it is a
known sentence of the same list (a reason inside a reason) or a duration
(``1d`` → ``1 j`` in French). A sentence that no phrase knows — a newer wording, a
person's note — is shown as it is, never hidden.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from gateway.referrals.directory_model import format_duration

_DURATION = re.compile(r"^([1-9][0-9]*|0)([smhd])$")
_DEPTH = 4  # values translated inside values, at most this deep
# A count of each unit of format_duration (lazy: translated when written).
_UNIT_WORDS = {"d": _l("%(n)dd"), "h": _l("%(n)dh"), "m": _l("%(n)dm"), "s": _l("%(n)ds")}


def _pattern(template: str) -> re.Pattern[str]:
    """The regular expression of an English template (``{name}``, ``{name!r}``)."""
    parts = []
    for literal, name, _spec, conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is None:
            continue
        value = "'[^']*'|\"[^\"]*\"" if conversion == "r" else ".+?"
        parts.append(f"(?P<{name}>{value})")
    return re.compile("".join(parts), re.DOTALL)


@dataclass(frozen=True)
class Phrase:
    """An English sentence shape (``english``) and its words (a lazy gettext text)."""

    english: str
    words: Any
    # Values shown as written (a person's reason, an id), never translated.
    verbatim: frozenset[str] = frozenset()
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Compile the English template once."""
        object.__setattr__(self, "pattern", _pattern(self.english))


def duration_words(seconds: int) -> str:
    """Seconds in the largest exact unit: ``15m``, ``1d`` in English, ``15 min``, ``1 j`` in French.

    The directory's own rule and English words
    (:func:`~gateway.referrals.directory.format_duration`), with translated units.
    """
    return format_duration(seconds, _UNIT_WORDS)


def duration_text_words(text: str) -> str | None:
    """A duration as the directory writes it (``15m``, ``1d``) in words; None otherwise."""
    found = _DURATION.match(text)
    if found is None:
        return None
    size = {"s": 1, "m": 60, "h": 3600, "d": 86400}[found.group(2)]
    return duration_words(int(found.group(1)) * size)


def translate(text: str, phrases: Sequence[Phrase], depth: int = 0) -> str:
    """``text`` in the console's language when a phrase knows it, else as it is."""
    if depth > _DEPTH:
        return text
    # A duration only inside a sentence ("15m → 10m"): a whole text "10m" may be
    # a person's note (ten metres).
    duration = duration_text_words(text) if depth else None
    if duration is not None:
        return duration
    for phrase in phrases:
        found = phrase.pattern.fullmatch(text)
        if found is None:
            continue
        values = {
            name: value if name in phrase.verbatim else translate(value, phrases, depth + 1)
            for name, value in found.groupdict().items()
        }
        return str(phrase.words) % values
    return text


def translate_all(lines: Sequence[str], phrases: Sequence[Phrase]) -> list[str]:
    """Each of ``lines`` through :func:`translate`."""
    return [translate(line, phrases) for line in lines]
