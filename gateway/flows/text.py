"""Text normalisation for matching what people type.

Matching ignores case, accents and punctuation: ``"C'est une FILLE !!"``
becomes the tokens ``["c", "est", "une", "fille"]``. The Bambara letters
``ɛ ɔ ɲ ŋ`` are mapped to ``e o ny ng`` (the way people type them on phones
without a Bambara keyboard).
"""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = str.maketrans(
    {"ɛ": "e", "Ɛ": "e", "ɔ": "o", "Ɔ": "o", "ɲ": "ny", "Ɲ": "ny", "ŋ": "ng", "Ŋ": "ng",
     "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o"}
)  # fmt: skip
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Return ``text`` lower-cased, without accents, punctuation runs as one space."""
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.translate(_SPECIAL)
    return _NON_WORD.sub(" ", text).strip()


def stem(token: str) -> str:
    """Drop a plural ``s``/``x`` from words longer than three letters."""
    if len(token) > 3 and token[-1] in "sx" and not token.isdigit():
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Return the folded, stemmed words of ``text``."""
    return [stem(t) for t in fold(text).split()]


def find_phrase(haystack: list[str], phrase: list[str]) -> bool:
    """Return True when ``phrase`` occurs as consecutive tokens of ``haystack``."""
    n = len(phrase)
    if n == 0 or n > len(haystack):
        return False
    return any(haystack[i : i + n] == phrase for i in range(len(haystack) - n + 1))
