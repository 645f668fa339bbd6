"""The agency a focal point names in ``TRANSFERT REF <agency>``, however written.

People write the agency's code (``dnpef``), with words before it ("à dnpef",
"vers DNDS", "to unicef"), in several words ("Samu Social"), or by the short
name or acronym the directory's ``name`` gives ("OIM" for ``OIM / IOM --
Organisation internationale pour les migrations``, "UNICEF Mali"). Codes win
over names, and a name two agencies share names neither: a transfer moves a
child's case, it is never guessed.
"""

from __future__ import annotations

import re

from gateway.referrals.directory_model import Directory
from gateway.referrals.outcomes import fold

# Words people put between the reference and the agency: "à dnpef", "vers
# DNDS", "to unicef", "à l'agence IOM".
_AGENCY_FILLERS = frozenset(
    {"a", "au", "aux", "vers", "pour", "chez", "to", "the", "l", "la", "le", "agence", "agency"}
)
# Where a directory name separates its forms: "OIM / IOM -- Organisation ...".
_NAME_PARTS = re.compile(r"--|[/(),;]")


def _words(first: str, rest: str | None) -> list[str]:
    """The folded words after the reference, without the fillers before the name."""
    words = re.findall(r"[a-z0-9_-]+", fold(f"{first} {rest or ''}").replace("'", " "))
    while len(words) > 1 and words[0] in _AGENCY_FILLERS:
        words = words[1:]
    return words


def typed_name(first: str, rest: str | None) -> str:
    """The agency as typed, fillers left out ("vers dnps" -> ``dnps``): what an
    "unknown agency" answer repeats, not the "vers" it once named."""
    return " ".join(_words(first, rest)[:3]) or first


def agency_candidates(first: str, rest: str | None) -> list[str]:
    """The agency ids ``TRANSFERT REF <words>`` may mean, the longest first.

    Fillers before the name are skipped and up to four words are joined, so
    "à dnpef", "vers dnds" and "Samu Social" (``samusocial`` or
    ``samu-social``) find their agency; the caller keeps the first the
    directory knows.
    """
    words = _words(first, rest)[:4]
    candidates: list[str] = []
    for count in range(len(words), 0, -1):
        for joiner in ("", "-", "_"):
            candidate = joiner.join(words[:count])
            if candidate not in candidates:
                candidates.append(candidate)
    return candidates or [first]


def name_keys(name: str) -> frozenset[str]:
    """The forms of an agency's directory ``name`` people type, folded and
    with their words joined: ``OIM / IOM -- Organisation ...`` gives ``oim``,
    ``iom`` and ``organisation...``; ``Samu Social Mali`` gives ``samusocialmali``."""
    parts = (re.findall(r"[a-z0-9]+", fold(part)) for part in _NAME_PARTS.split(name))
    return frozenset("".join(words) for words in parts if words)


def find_agency(directory: Directory | None, first: str, rest: str | None) -> str | None:
    """The id of the agency that ``first`` and ``rest`` (the words after the
    reference) name in ``directory``: by code, else by a name only one agency
    has; None when there is none."""
    if directory is None:
        return None
    candidates = agency_candidates(first, rest)
    for candidate in candidates:
        if directory.agency(candidate) is not None:
            return candidate
    for candidate in candidates:
        named = {a.id for a in directory.agencies if candidate in name_keys(a.name)}
        if len(named) == 1:
            return named.pop()
    return None
