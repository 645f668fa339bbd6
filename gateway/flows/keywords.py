"""Keywords recognised at any point of a conversation (data: lexicon ``keywords``).

A keyword must be the whole message (``STOP``, ``Arrêt``, ``aide``, ``MENU``)
so that a free-text answer that merely contains the word is not taken for a
command. ``STATUS``/``STATUT`` takes the alert reference, however it is typed
("K7QX2P", "K7QX-2P", "ref K7QX2P merci").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.flows.model import Lexicon
from gateway.flows.reference import is_reference
from gateway.flows.text import fold

HELP, STOP, START, RESTART, STATUS = "help", "stop", "start", "restart", "status"
THANKS = "thanks"
_ORDER = (STOP, START, HELP, RESTART)
_REFERENCE = re.compile(r"^[A-Z0-9]{4,12}$")
# Words people put around the reference: "STATUT ref K7QX2P", "status of my
# K7QX2P please".
_STATUS_FILLERS = frozenset(
    {"ref", "reference", "de", "du", "no", "numero", "n", "le", "la", "mon", "ma", "of", "my"}
    | {"merci", "svp", "stp", "please", "thanks", "thank", "you", "i", "ni", "ce"}
)


@dataclass(frozen=True)
class Keyword:
    """A recognised keyword; ``argument`` is the reference of ``status``."""

    name: str
    argument: str | None = None


def detect_keyword(text: str, lexicon: Lexicon) -> Keyword | None:
    """Return the keyword that ``text`` is, or None."""
    folded = fold(text)
    raw = text.strip().casefold()
    for name in _ORDER:
        words = lexicon.keywords.get(name, frozenset())
        if (folded and folded in words) or (raw and raw in words):
            return Keyword(name)
    parts = folded.split()
    status_words = lexicon.keywords.get(STATUS, frozenset())
    if parts and parts[0] in status_words:
        if len(parts) == 1:
            return Keyword(STATUS)
        if len(parts) == 2 and _REFERENCE.match(parts[1].upper()):
            return Keyword(STATUS, parts[1].upper())
        # The reference split ("K7QX 2P", "K7QX-2P") or with words around it:
        # only a well-formed reference, so a free-text answer is not taken.
        rest = [p for p in parts[1:] if p not in _STATUS_FILLERS]
        joined = "".join(rest).upper()
        if 1 <= len(rest) <= 3 and is_reference(joined):
            return Keyword(STATUS, joined)
    return None


def is_thanks(text: str, lexicon: Lexicon) -> bool:
    """True when ``text`` only thanks or acknowledges ("Merci", "ok", "I ni ce", "👍").

    A message with no word at all (an emoji, punctuation) counts: after a
    finished alert it means the same and deserves no questionnaire either. A
    keyword never is one: "?" has no word but asks for help.
    """
    if detect_keyword(text, lexicon) is not None:
        return False
    folded = fold(text)
    return not folded or folded in lexicon.keywords.get(THANKS, frozenset())
