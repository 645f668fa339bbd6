"""Outcomes of a closed referral, read from the words a focal point types.

``FIN K7QX2P réunifié`` closes with ``reunified``; words name an outcome in
French or English, unless negated ("non placé", "not reunited"), and words
that name none are ``other`` (kept as the note). :func:`fold` is the folding
every word of a focal-point command goes through.
"""

from __future__ import annotations

import re
import unicodedata

from gateway.encoding import gsm7_fold

OUTCOMES: tuple[str, ...] = (
    "reunified",
    "placed_in_care",
    "referred_to_services",
    "not_found",
    "false_alarm",
    "other",
)

_WHOSE = ("", "his ", "her ")  # "back with (his) family"

# (outcome, folded word prefixes), checked in this order: the first match wins.
_OUTCOME_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("false_alarm", ("fausse alerte", "faux", "fausse", "false alarm", "false", "hoax")),
    (
        "not_found",
        (
            "introuvable",
            "non trouve",
            "pas trouve",
            "non retrouv",
            "pas retrouv",
            "not found",
            "untraced",
        ),
    ),
    ("placed_in_care", ("place", "placement", "famille d'accueil", "accueil", "foster", "care")),
    (
        "reunified",
        (
            "reunifi",
            "reuni ",  # "réuni avec ses parents", not "réunion"
            "reunie",
            "reunis",
            "famille retrouvee",
            "retour en famille",
            "retourne en famille",
            "retourne dans sa famille",
            "rentre en famille",
            # Home or family, not any "chez": "retourné chez le marabout" is none.
            *(f"{v} chez {who}" for v in ("rentre", "retourne") for who in ("ses", "lui", "elle")),
            "remis a sa famille",
            "remis a la famille",
            "remis a ses parents",
            "remis aux parents",
            "reunited",
            "returned home",
            *(f"{v} {whose}famil" for v in ("returned to", "back with") for whose in _WHOSE),
        ),
    ),
    ("referred_to_services", ("oriente", "orientation", "refere", "referred", "service")),
)


def fold(text: str) -> str:
    """Lower-case ``text`` without accents (Bambara letters folded too)."""
    decomposed = unicodedata.normalize("NFKD", gsm7_fold(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise_outcome(text: str) -> str:
    """Return the outcome code (one of :data:`OUTCOMES`) for words in French or English."""
    # Punctuation is a space ("non-trouvé", "réuni, avec"); the apostrophe of
    # "d'accueil" stays. The trailing space lets a prefix end a word ("reuni ").
    words = re.sub(r"[^\w']+", " ", fold(text).replace("’", "'")).split()
    padded = f" {' '.join(words)} "
    for phrase in _NOT_AN_OUTCOME:
        padded = padded.replace(phrase, " ")
    for outcome, prefixes in _OUTCOME_WORDS:
        if any(_affirmed(padded, prefix) for prefix in prefixes):
            return outcome
    return "other"


# Words an outcome's prefix starts but that name none: "suivi sur place" (on
# site) closed a reunified child's case as placed in care.
_NOT_AN_OUTCOME = (" sur place ", " en place ", " sur les lieux ")

_NEGATIONS = frozenset(
    {"non", "pas", "not", "no", "never", "jamais", "sans", "aucun", "aucune", "without"}
)
# Words between a negation and what it negates: "pas de placement", "pas
# encore réunifié", "n'a pas été réunifié", "pas une fausse alerte", "not yet
# reunited". Reading past them, up to three, keeps a negated outcome from
# closing the case with it.
_BETWEEN = frozenset(
    {"de", "d", "du", "of", "encore", "ete", "etre", "pu", "su", "vraiment", "toujours",
     "un", "une", "a", "an", "yet", "been", "be", "being", "still", "really", "even"}
)  # fmt: skip


# Words right after an outcome that undo it: "placement refusé par la
# famille", "réunification impossible", "orientation échouée" closed the case
# with the outcome that did not happen.
_UNDONE_AFTER = frozenset(
    {"refuse", "refusee", "refuses", "refusees", "echoue", "echouee", "echec", "impossible",
     "annule", "annulee", "rejete", "rejetee", "refused", "failed", "rejected", "cancelled",
     "canceled"}
)  # fmt: skip


def _affirmed(padded: str, prefix: str) -> bool:
    """True when a word of ``padded`` starts with ``prefix``, is not negated
    by the word before it, reading past up to three words of :data:`_BETWEEN`
    ("non place", "not reunited", "pas de placement", "pas encore réunifié"
    name no outcome), and is not undone by the word after it
    (:data:`_UNDONE_AFTER`: "placement refusé")."""
    start = padded.find(f" {prefix}")
    while start != -1:
        before = padded[:start].split()
        skipped = 0
        while before and before[-1] in _BETWEEN and skipped < 3:
            before, skipped = before[:-1], skipped + 1
        after = padded[start:].split()[len(prefix.split()) :]
        undone = bool(after) and after[0] in _UNDONE_AFTER
        if not (before and before[-1] in _NEGATIONS) and not undone:
            return True
        start = padded.find(f" {prefix}", start + 1)
    return False
