"""SMS text encoding: GSM 03.38 (GSM-7) versus UCS-2, and what a text costs.

An SMS carries 140 bytes. When every character of a text belongs to the GSM
03.38 default alphabet (plus its extension table) the text is sent as GSM-7:
160 septets in a single SMS, or 153 per segment once it must be concatenated
(the user data header takes the rest). Extension characters (``€ [ ] { } ^ ~
| \\`` and form feed) are sent as ESC + char and cost two septets. One single
character outside that alphabet switches the *whole* message to UCS-2: 70
UTF-16 code units in a single SMS, 67 per segment, emoji outside the BMP
taking two units each. Each segment is billed.

French and Bambara texts are full of characters just outside GSM-7 (``ê ô î
ç œ ’ « »`` and the Bambara letters ``ɛ ɔ ɲ ŋ``), so a 150-character referral
message can silently cost three SMS instead of one. Providers may or may not
transliterate on their side, each in its own way; we fold texts ourselves with
:func:`gsm7_fold` before sending so the segment count is the same whichever
provider carries the message, and known before we send it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet in code order 0x00-0x7F; 0x1B (ESC) is left out,
# it only introduces an extension character and is never sent on its own.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Extension table (sent as ESC + char, two septets each).
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM7_ALL = _GSM7_BASIC | _GSM7_EXTENSION

_SINGLE_GSM7_SEPTETS = 160
_MULTI_GSM7_SEPTETS = 153
_SINGLE_UCS2_UNITS = 70
_MULTI_UCS2_UNITS = 67

# Characters whose nearest GSM-7 form is not (only) their NFKD base letter.
_FOLD: dict[str, str] = {
    # French letters outside GSM-7 (Ç is GSM-7, ç is not reliably so).
    "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i", "ÿ": "y",
    "À": "A", "Â": "A", "È": "E", "Ê": "E", "Î": "I", "Ô": "O", "Ù": "U", "Û": "U",
    "œ": "oe", "Œ": "OE", "ç": "c",
    # Bambara (Mande Latin alphabet).
    "ɛ": "è", "Ɛ": "E", "ɔ": "ò", "Ɔ": "O", "ɲ": "ny", "Ɲ": "Ny", "ŋ": "ng", "Ŋ": "Ng",
    # Other Latin-1 letters without a GSM-7 base letter.
    "µ": "u", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
    # Typography: quotes, dashes, ellipsis, tabs and line separators.
    "’": "'", "‘": "'", "‚": "'", "‛": "'", "′": "'", "´": "'", "`": "'",
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‹": '"', "›": '"', "″": '"',
    "…": "...", "·": ".", "¶": "§", "°": "o",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "\t": " ", "\u2028": "\n", "\u2029": "\n",
}  # fmt: skip
# Invisible characters dropped before anything else: soft hyphen, zero-width
# space, word joiner, byte order mark.
_INVISIBLE: dict[int, None] = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))


def _fold_char(char: str) -> str | None:
    """Return the GSM-7 form of one non-GSM-7 character, or None if it has none."""
    if char in _FOLD:
        return _FOLD[char]
    if unicodedata.category(char) == "Zs":  # no-break, narrow, thin, em... spaces
        return " "
    if unicodedata.category(char)[0] not in "LN":  # symbols and CJK punctuation stay
        return None
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(c in _GSM7_ALL for c in base):
        return base  # á -> a, Õ -> O, ﬁ -> fi, ² -> 2
    return None


def gsm7_fold(text: str) -> str:
    """Transliterate ``text`` to GSM-7 where a close form exists.

    The text is first composed (NFC) so decomposed accents from some phones
    are handled like precomposed ones. Characters already in GSM-7 (``à è é ù
    Ç É ä ö ü ñ ß Ø``...) are kept; French and Bambara letters, typographic
    quotes, dashes and spaces are replaced (``ê`` -> ``e``, ``œ`` -> ``oe``,
    ``ɛ`` -> ``è``, ``ɲ`` -> ``ny``, ``«`` -> ``"``); other accented letters
    fall back to their base letter (NFKD). Combining marks left over a GSM-7
    character are dropped. Anything else (Arabic, Chinese, emoji) is kept as
    is: the text stays truthful and will simply be sent as UCS-2. Invisible
    characters (soft hyphen, zero-width space, BOM) are removed.
    """
    out: list[str] = []
    last_is_gsm7 = False
    for char in unicodedata.normalize("NFC", text.translate(_INVISIBLE)):
        if char in _GSM7_ALL:
            out.append(char)
            last_is_gsm7 = True
        elif unicodedata.combining(char):
            if not last_is_gsm7:  # accent on a kept non-GSM-7 letter: keep
                out.append(char)
        else:
            folded = _fold_char(char)
            if folded is None:
                out.append(char)
                last_is_gsm7 = False
            else:
                out.append(folded)
                last_is_gsm7 = True
    return "".join(out)


def is_gsm7(text: str) -> bool:
    """Return True when every character is in the GSM-7 basic or extension table."""
    return all(char in _GSM7_ALL for char in text)


def _septet_widths(text: str) -> list[int]:
    return [2 if char in _GSM7_EXTENSION else 1 for char in text]


def _utf16_widths(text: str) -> list[int]:
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def septets(text: str) -> int:
    """Return the GSM-7 length of ``text``: extension characters count two septets.

    Raises :class:`ValueError` if ``text`` is not GSM-7 (see :func:`is_gsm7`).
    """
    if not is_gsm7(text):
        raise ValueError("text is not GSM-7; it would be sent as UCS-2")
    return sum(_septet_widths(text))


def _pack(widths: list[int], single: int, per_segment: int) -> int:
    """Count segments, filling each greedily without splitting a unit of ``widths``."""
    if sum(widths) <= single:
        return 1
    count, used = 1, 0
    for width in widths:
        if used + width > per_segment:
            count, used = count + 1, 0
        used += width
    return count


def segments(text: str) -> int:
    """Return how many SMS segments ``text`` takes, as sent (no folding).

    GSM-7: one SMS up to 160 septets, then 153 per segment, an escape pair
    (extension character) never split across two segments. UCS-2: one SMS up
    to 70 UTF-16 code units, then 67 per segment, a surrogate pair (emoji)
    never split. The empty text is one segment.
    """
    if is_gsm7(text):
        return _pack(_septet_widths(text), _SINGLE_GSM7_SEPTETS, _MULTI_GSM7_SEPTETS)
    return _pack(_utf16_widths(text), _SINGLE_UCS2_UNITS, _MULTI_UCS2_UNITS)


@dataclass(frozen=True)
class TextInfo:
    """A text as it will be sent and what it costs.

    ``length`` is in septets for GSM-7 and in UTF-16 code units for UCS-2.
    """

    text: str
    encoding: str  # GSM7 ("GSM-7") or UCS2 ("UCS-2")
    length: int
    segments: int


def prepare(text: str, fold: bool = True) -> TextInfo:
    """Fold ``text`` to GSM-7 (unless ``fold`` is False) and describe the result."""
    if fold:
        text = gsm7_fold(text)
    if is_gsm7(text):
        return TextInfo(text, GSM7, septets(text), segments(text))
    return TextInfo(text, UCS2, sum(_utf16_widths(text)), segments(text))


def fits(text: str, max_segments: int = 1, fold: bool = True) -> bool:
    """Return True when ``text`` (folded unless ``fold`` is False) fits in ``max_segments``."""
    return prepare(text, fold=fold).segments <= max_segments
