"""One-shot structured alert SMS for trained community relays.

Format (codes and words in ``flows/oneshot.yaml``, see ``docs/flows.md``)::

    ALERTE <CODE> [URG] [<COUNT>] <SEX> <AGE> <PLACE> [landmark words...]
    ALERTE ENA F 12 C5 Marche Medine

gives ``concern=separated, sex=girl, age_band=12-14, place=ML-BKO-C5,
landmark="Marche Medine"``. Parts that cannot be read are listed by name in
:attr:`OneShot.missing` and in the reply, which asks for the message again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.flows.answers import best_phrase_match, whole_number
from gateway.flows.errors import FlowError
from gateway.flows.loader import FLOWS_DIR, missing_translations, validate
from gateway.flows.model import AnswerValue, Flow, Option
from gateway.flows.render import fill, fit_sms
from gateway.flows.text import fold
from gateway.flows.yamlsource import read_yaml

REQUIRED_PARTS = ("concern", "sex", "age", "place")


@dataclass(frozen=True)
class OneShotSpec:
    """Codes of the one-shot format, loaded from data."""

    keywords: frozenset[str]
    urgent: frozenset[str]
    concerns: dict[str, str]
    sexes: dict[str, str]
    age_bands: tuple[tuple[str, int, int], ...]
    unknown: frozenset[str]
    fields: dict[str, dict[str, str]]
    texts: dict[str, dict[str, str]]


@dataclass(frozen=True)
class OneShot:
    """The answers read from a one-shot SMS, what was missing, and the reply."""

    answers: dict[str, AnswerValue]
    missing: list[str] = field(default_factory=list)
    reply: str = ""

    @property
    def complete(self) -> bool:
        """True when every required part was read (the alert can be created)."""
        return not self.missing


def load_oneshot(
    path: str | Path = FLOWS_DIR / "oneshot.yaml", languages: tuple[str, ...] = ("fr", "bm", "en")
) -> OneShotSpec:
    """Load and validate the one-shot codes file."""
    data, lines = read_yaml(path)
    problems = validate(data, "oneshot", str(path), lines)
    if not problems:
        paths = [("texts", k) for k in data["texts"]] + [("fields", k) for k in data["fields"]]
        problems = missing_translations(data, iter(paths), languages, str(path), lines)
    if problems:
        raise FlowError(problems)
    table: dict[str, Any] = data
    return OneShotSpec(
        keywords=_norm(table["keywords"]),
        urgent=_norm(table.get("urgent", [])),
        concerns={fold(k) or k: v for k, v in table["concerns"].items()},
        sexes={fold(k) or k: v for k, v in table["sexes"].items()},
        age_bands=tuple((b["value"], b["min"], b["max"]) for b in table["age_bands"]),
        unknown=_norm(table.get("unknown", [])),
        fields=table["fields"],
        texts=table["texts"],
    )


def _norm(words: list[str]) -> frozenset[str]:
    return frozenset(fold(w) or w for w in words)


def is_oneshot(text: str, spec: OneShotSpec) -> bool:
    """Return True when ``text`` starts with the keyword and has more words."""
    words = text.split()
    return len(words) > 1 and (fold(words[0]) in spec.keywords)


def _token(word: str) -> str:
    return fold(word) or word.strip()


def _place(words: list[str], flow: Flow) -> tuple[str | None, int]:
    """Read a place from the first one or two words; return (code, words used)."""
    options = [
        Option(value=p.code, label={}, synonyms={"any": (p.name, p.code, *p.synonyms)})
        for p in flow.places
    ]
    for size in (2, 1):
        if len(words) >= size:
            candidate = " ".join(words[:size])
            matched = best_phrase_match(candidate, options)
            if matched is not None and fold(candidate) in _names(matched):
                return matched.value, size
    return None, 0


def _names(option: Option) -> set[str]:
    return {fold(word) for words in option.synonyms.values() for word in words}


def _count_range(flow: Flow) -> tuple[int, int]:
    """The bounds the alert flow's own question puts on ``children_count``."""
    for state in flow.states.values():
        if any(a.name == "save" and a.arg == "children_count" for a in state.actions):
            return state.minimum or 1, state.maximum or 99
    return 1, 99


def _age(word: str, spec: OneShotSpec, flow: Flow) -> str | None:
    token = _token(word)
    if token in spec.unknown:
        return "unknown"
    digits = token.removesuffix("ans").removesuffix("a").strip()
    age = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 3 else None
    if age is None:
        age = whole_number(word, flow.lexicon)  # "douze", "twelve"
    if age is None:
        return None
    return next((v for v, low, high in spec.age_bands if low <= age <= high), None)


def parse_oneshot(text: str, flow: Flow, spec: OneShotSpec, language: str = "fr") -> OneShot:
    """Parse a one-shot alert; unreadable parts are named in ``missing`` and the reply.

    ``answers`` uses the alert flow's field names (``concern``, ``sex``,
    ``age_band``, ``place``, ``landmark``, ``children_count``, ``risk``).
    """
    words = text.split()[1:] if is_oneshot(text, spec) else text.split()
    answers: dict[str, AnswerValue] = {"risk": "medium"}
    missing: list[str] = []
    position = 0

    def peek() -> str:
        return words[position] if position < len(words) else ""

    concern = spec.concerns.get(_token(peek()))
    if concern:
        answers["concern"] = concern
        position += 1
    else:
        missing.append("concern")
        position += 1 if peek() and _token(peek()) not in spec.sexes else 0
    if _token(peek()) in spec.urgent:
        answers["risk"] = "high"
        position += 1
    nxt = words[position + 1] if position + 1 < len(words) else ""
    count = _token(peek())  # folded: "²" → "2", "①" → "1"
    if count.isdigit() and _token(nxt) in spec.sexes:
        # 0 or 1000 children is a typing mistake: the count is left unknown.
        low, high = _count_range(flow)
        if count.isascii() and low <= int(count) <= high:
            answers["children_count"] = int(count)
        position += 1
    sex = spec.sexes.get(_token(peek()))
    if sex:
        answers["sex"] = sex
    else:
        missing.append("sex")
    position += 1 if sex or (peek() and _age(peek(), spec, flow) is None) else 0
    band = _age(peek(), spec, flow)
    if band:
        answers["age_band"] = band
        position += 1
    else:
        missing.append("age")
        position += 1 if peek() and _place(words[position:], flow)[0] is None else 0
    code, used = _place(words[position:], flow)
    if code:
        answers["place"] = code
        position += used
    else:
        missing.append("place")
    landmark = " ".join(words[position:]) if code else ""
    if landmark:
        answers["landmark"] = landmark[:300]
    lang = language if language in spec.texts["partial"] else "fr"
    if missing:
        parts = ", ".join(spec.fields[m].get(lang, m) for m in missing)
        reply = fit_sms(fill(spec.texts["partial"][lang], parts=parts))
    else:
        reply = fit_sms(spec.texts["complete"][lang])
    return OneShot(answers=answers, missing=missing, reply=reply)
