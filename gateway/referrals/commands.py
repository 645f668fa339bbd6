"""Commands that focal points send by SMS about a referral (``OK K7QX2P``...).

:func:`parse_command` turns a text into a :class:`Command` or a
:class:`ParseError`; it never raises. Keywords are French or English (and a
few draft Bambara ones, unvalidated), matched without case or accents, with
any punctuation around them, also in a sentence ("j'accepte", "d'accord",
"je refuse", "I accept"). The reference may be typed in lower case or split
by spaces, dashes or dots (``k7qx-2p``), after words such as ``REF`` or ``cas
n°`` (the help's own ``OK REF`` copied as written). References use the
alphabet :data:`ALPHABET` (no ``0 O 1 I``); a typed ``O`` or ``0`` is *not*
guessed: the reference is reported as bad, like any other unknown reference.
Words without a digit where the reference should be ("FIN réunifié", "NON
pas notre zone") are no reference at all: ``missing_reference``.

The caller replies with :mod:`gateway.referrals.texts` in ``lang``:
``unknown_command`` -> help, ``missing_reference``/``missing_argument`` ->
``wrong_syntax`` for ``action``, ``bad_reference`` -> ``unknown_reference``
(see :func:`gateway.referrals.texts.error_reply`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.flows.reference import ALPHABET, LENGTH
from gateway.referrals.outcomes import fold, normalise_outcome

REFERENCE_LENGTH = LENGTH

ACCEPT, REJECT, INFO, NOTE = "accept", "reject", "info", "note"
TRANSFER, CLOSE, LIST, HELP = "transfer", "close", "list", "help"
STOP = "stop"  # a focal point cannot opt out by SMS: they are told whom to ask
ACTIONS: tuple[str, ...] = (ACCEPT, REJECT, INFO, NOTE, TRANSFER, CLOSE, LIST, HELP, STOP)
NEEDS_REFERENCE = frozenset({ACCEPT, REJECT, INFO, NOTE, TRANSFER, CLOSE})

UNKNOWN_COMMAND, MISSING_REFERENCE = "unknown_command", "missing_reference"
BAD_REFERENCE, MISSING_ARGUMENT = "bad_reference", "missing_argument"

# folded keyword -> (action, language or None when it says nothing about it)
_KEYWORDS: dict[str, tuple[str, str | None]] = {
    "ok": (ACCEPT, None), "okay": (ACCEPT, "en"), "accept": (ACCEPT, "en"),
    "accepted": (ACCEPT, "en"),
    "yes": (ACCEPT, "en"), "oui": (ACCEPT, "fr"), "accepte": (ACCEPT, "fr"),
    "accepter": (ACCEPT, "fr"), "ouais": (ACCEPT, "fr"),
    "accord": (ACCEPT, "fr"), "daccord": (ACCEPT, "fr"),  # "d'accord" (see _LEAD_INS)
    "non": (REJECT, "fr"), "no": (REJECT, "en"), "refuse": (REJECT, None),
    "refuser": (REJECT, "fr"), "refus": (REJECT, "fr"), "reject": (REJECT, "en"),
    "refused": (REJECT, "en"), "rejected": (REJECT, "en"),
    "info": (INFO, None), "infos": (INFO, "fr"), "note": (NOTE, None),
    "detail": (INFO, None), "details": (INFO, None),
    "transfert": (TRANSFER, "fr"), "transferer": (TRANSFER, "fr"), "transfer": (TRANSFER, "en"),
    "transfere": (TRANSFER, "fr"),
    "fin": (CLOSE, "fr"), "clos": (CLOSE, "fr"), "cloture": (CLOSE, "fr"),
    "cloturer": (CLOSE, "fr"), "close": (CLOSE, "en"), "closed": (CLOSE, "en"),
    # FERMER/FERMÉ is the everyday French word, FIN the one the texts teach.
    "fermer": (CLOSE, "fr"), "ferme": (CLOSE, "fr"),
    "liste": (LIST, "fr"), "list": (LIST, "en"),
    "aide": (HELP, "fr"), "help": (HELP, "en"), "?": (HELP, None),
    "stop": (STOP, None), "arret": (STOP, "fr"), "arreter": (STOP, "fr"),
    "unsubscribe": (STOP, "en"),
    # Bambara drafts, UNVALIDATED: awɔ/ɔwɔ (yes), ayi (no), dɛmɛ (help).
    "awo": (ACCEPT, None), "owo": (ACCEPT, None), "ayi": (REJECT, None), "deme": (HELP, None),
}  # fmt: skip

# Words people put before the keyword when they write a sentence: "j'accepte",
# "je refuse", "j'ai fermé", "d'accord", "I accept". At most two, and only
# before a keyword: "je signale..." stays no command (it may be an alert).
_LEAD_INS = frozenset({"j", "je", "ai", "d", "i"})

_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script
_KEYWORD = re.compile(r"^[\W_]*(\?|[^\W_]+)")


@dataclass(frozen=True)
class Command:
    """A well-formed command.

    ``reference`` is upper case without separators (None for list/help);
    ``argument`` is the reason (reject, optional), the note text (note), the
    agency slug (transfer) or the outcome code (close, one of
    :data:`~gateway.referrals.outcomes.OUTCOMES`); ``raw_note`` is the free
    text after the reference or agency as typed (e.g. the words of the
    outcome), None when empty.
    """

    action: str
    reference: str | None = None
    argument: str | None = None
    raw_note: str | None = None
    lang: str = "fr"


@dataclass(frozen=True)
class ParseError:
    """A text that is not a usable command, with what went wrong.

    ``action`` is the recognised action (None for ``unknown_command``),
    ``typed`` the offending reference as typed (for ``bad_reference``) and
    ``reference`` the well-formed one (for ``missing_argument``: the answer's
    format names it, ready to be sent back with the missing words).
    """

    code: str
    lang: str = "fr"
    action: str | None = None
    typed: str | None = None
    reference: str | None = None


# Words people write before the reference, the help's own "REF" first: "OK REF
# K7QX2P", "FIN réf. K7QX2P ...", "OK cas n° K7QX2P", "j'ai accepté le K7QX2P".
_BEFORE_REFERENCE = frozenset(
    {"ref", "reference", "cas", "case", "dossier", "alerte", "alert", "relais", "n", "no",
     "num", "numero", "number", "le", "la", "du", "pour", "for", "the"}
)  # fmt: skip


def _split_reference(rest: str) -> tuple[str | None, str, str]:
    """Split ``rest`` into (reference or None, typed reference, text after it).

    Up to three words of :data:`_BEFORE_REFERENCE` before it are skipped, unless
    the reference itself starts with them (``cas 7xy`` is ``CAS7XY``); only
    such words is no reference at all (``OK REF``).
    """
    skipped = 0
    for count, word in enumerate(_WORD.finditer(rest)):
        if count == 3 or fold(word.group()) not in _BEFORE_REFERENCE:
            break
        skipped = word.end()
    if not skipped:
        return _read_reference(rest)
    found = _read_reference(rest[skipped:])
    if found[0] is None:
        plain = _read_reference(rest)
        return plain if plain[0] is not None else found
    return found


def _read_reference(rest: str) -> tuple[str | None, str, str]:
    """Like :func:`_split_reference` without the words before: the reference is
    the first word if it has six characters, else the first two or three
    words when they add up to exactly six (``K7QX 2P``)."""
    words = list(_WORD.finditer(rest))
    if not words:
        return None, "", rest
    total = 0
    for index, match in enumerate(words[:3]):
        total += len(match.group())
        if total == REFERENCE_LENGTH:
            candidate = "".join(w.group() for w in words[: index + 1]).upper()
            typed = rest[words[0].start() : match.end()]
            if len(candidate) == REFERENCE_LENGTH and all(c in ALPHABET for c in candidate):
                return candidate, typed, rest[match.end() :]
            return None, typed, rest[match.end() :]
        if total > REFERENCE_LENGTH:
            break
    return None, words[0].group(), rest[words[0].end() :]


def _clean(text: str) -> str | None:
    """Strip spaces and leading punctuation from free text; None without letters or digits."""
    cleaned = " ".join(text.split()).lstrip(" :,;.-/!?").strip()
    return cleaned if any(c.isalnum() for c in cleaned) else None


def _keyword(text: str) -> tuple[tuple[str, str | None], int] | None:
    """The keyword entry ``text`` starts with and where it ends; None without one."""
    match = _KEYWORD.match(text)
    if match is None:
        return None
    word, end = match.group(1), match.end()
    entry = _KEYWORDS.get(fold(word))
    if entry is None and len(word) > REFERENCE_LENGTH:  # glued: OKK7QX2P
        entry = _KEYWORDS.get(fold(word[:-REFERENCE_LENGTH]))
        end -= REFERENCE_LENGTH
    return None if entry is None else (entry, end)


def parse_command(text: str, default_lang: str = "fr") -> Command | ParseError:
    """Parse a focal point's SMS into a :class:`Command`, or say why it is not one.

    ``default_lang`` (fr or en) is used when the keyword does not tell
    (``OK``, ``INFO``, Bambara keywords, unknown commands). Never raises.
    """
    lang = default_lang if default_lang in ("fr", "en") else "fr"
    skipped, found = 0, _keyword(text)
    for _ in range(2):  # "j'accepte", "j'ai fermé"
        lead_in = _KEYWORD.match(text[skipped:])
        if found is not None or lead_in is None or fold(lead_in.group(1)) not in _LEAD_INS:
            break
        skipped += lead_in.end()
        found = _keyword(text[skipped:])
    if found is None:
        return ParseError(UNKNOWN_COMMAND, lang)
    (action, keyword_lang), end = found
    end += skipped
    lang = keyword_lang or lang
    rest = text[end:]
    if action not in NEEDS_REFERENCE:
        return Command(action, raw_note=_clean(rest), lang=lang)
    reference, typed, after = _split_reference(rest)
    if reference is None:
        if not any(c.isdigit() for c in typed):
            # Words, not a mistyped reference: "FIN réunifié", "NON pas notre
            # zone" were answered "Référence PAS inconnue"; the caller gives
            # the format with their open case instead.
            return ParseError(MISSING_REFERENCE, lang, action)
        return ParseError(BAD_REFERENCE, lang, action, typed[:20])
    free = _clean(after)
    if action == REJECT:
        return Command(action, reference, free, free, lang)
    if action == NOTE:
        if free is None:
            return ParseError(MISSING_ARGUMENT, lang, action, reference=reference)
        return Command(action, reference, free, free, lang)
    if action == TRANSFER:
        first, _, remainder = (free or "").partition(" ")
        slug = re.sub(r"[^a-z0-9_-]", "", fold(first)).strip("-_")
        if not slug:
            return ParseError(MISSING_ARGUMENT, lang, action, reference=reference)
        return Command(action, reference, slug, _clean(remainder), lang)
    if action == CLOSE:
        if free is None or not any(c.isalpha() for c in free):
            # "FIN K7QX2P 1": no outcome is numbered anywhere, and a digit
            # closed the case for good as "other"; the answer lists the words.
            return ParseError(MISSING_ARGUMENT, lang, action, reference=reference)
        return Command(action, reference, normalise_outcome(free), free, lang)
    return Command(action, reference, None, free, lang)  # accept, info
