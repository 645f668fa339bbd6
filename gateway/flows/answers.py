"""Tolerant reading of answers: digits, words in any language, numbers, places.

People type ``"2"``, ``" 2 "``, ``"deux"``, ``"Fille"``, ``"c'est une fille"``,
``"2 filles"``, ``"FILLE!!"``, ``"Commune 5"``, ``"c5"``, ``"Awo"`` or ``"nn"``.
Every reader here takes the raw text and returns the stored value, or None
when the text cannot be read. Words come from data (option labels and
synonyms in the flow, number/yes/no words in the lexicon), never from code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from gateway.flows.model import AnswerValue, Flow, Lexicon, Option, StateDef
from gateway.flows.text import find_phrase, fold, stem

_DIGITS = re.compile(r"\d+")
_MAX_DIGITS = 4  # longer digit runs are phone numbers or noise, not answers
_SHORT = 2  # synonyms this short ("f", "o", "nn", "c5") must be the whole answer


def words_number(words: Sequence[str], lexicon: Lexicon) -> int | None:
    """Read the first run of number words (``"vingt et un"``, ``"tan ni fila"``).

    ``words`` are folded, unstemmed tokens. French ``quatre vingt`` is 80.
    Returns None when there is no number word.
    """
    total: int | None = None
    last = 0
    for word in words:
        value = lexicon.numbers.get(word, lexicon.numbers.get(stem(word)))
        if value is not None:
            # A leading 1 before a bigger word is an article: "une dizaine", "one dozen".
            if total is None or (total == 1 and value >= 10):
                total = value
            elif value == 20 and last == 4:  # quatre-vingt(s)
                total += 4 * 20 - 4
            else:
                total += value
            last = value
        elif total is not None and word not in lexicon.connectors:
            break
    return total


def whole_number(text: str, lexicon: Lexicon) -> int | None:
    """Return the number when the whole answer is one (``" 2 "``, ``"deux"``, ``"02"``)."""
    words = fold(text).split()
    if not words:
        return None
    if len(words) == 1 and words[0].isdigit():
        return int(words[0]) if len(words[0]) <= _MAX_DIGITS else None
    known = all(
        w in lexicon.numbers or stem(w) in lexicon.numbers or w in lexicon.connectors for w in words
    )
    return words_number(words, lexicon) if known else None


def find_number(text: str, lexicon: Lexicon, *, words: bool = True) -> int | None:
    """Return the first number in ``text``: digits first, then number words."""
    folded = fold(text)
    for match in _DIGITS.finditer(folded):
        if len(match.group()) <= _MAX_DIGITS:
            return int(match.group())
    return words_number(folded.split(), lexicon) if words else None


def _single_number(word: str, lexicon: Lexicon) -> int | None:
    if word.isdigit():
        return int(word) if len(word) <= _MAX_DIGITS else None
    return lexicon.numbers.get(word, lexicon.numbers.get(stem(word)))


def _unit_words(units: Iterable[str]) -> set[str]:
    """``units`` as answers are compared with them: folded, without plural."""
    return {stem(fold(u)) for u in units}


def _two_groups(text: str, lexicon: Lexicon, units: Iterable[str]) -> int | None:
    """The total of ``"une fille et un garçon"``, ``"2 filles 1 garçon"``: two counted groups.

    Only this exact shape (number, word, optional ``et``/``and``/``ni``,
    number, another word) is added up, and not when a word is a unit
    (``"2 enfants 8 ans"`` is two children of eight); anything else is read
    as before.
    """
    words = fold(text).split()
    if len(words) == 5 and words[2] in lexicon.connectors:
        words = words[:2] + words[3:]
    if len(words) != 4 or stem(words[1]) == stem(words[3]):
        return None
    unit_words = _unit_words(units)
    if stem(words[1]) in unit_words or stem(words[3]) in unit_words:
        return None
    first, second = _single_number(words[0], lexicon), _single_number(words[2], lexicon)
    nouns = [w for w in (words[1], words[3]) if _single_number(w, lexicon) is None]
    if first is None or second is None or len(nouns) != 2:
        return None
    return first + second


def parse_number(
    text: str, lexicon: Lexicon, minimum: int, maximum: int, units: Iterable[str] = ()
) -> int | None:
    """Read a number in ``[minimum, maximum]`` anywhere in ``text`` (``"environ 3 enfants"``).

    Two counted groups are added up: ``"une fille et un garçon"`` is 2, not 1
    (``units``: words that make a number something else, such as an age).
    """
    value = _two_groups(text, lexicon, units)
    if value is None:
        value = find_number(text, lexicon)
    if value is None or not minimum <= value <= maximum:
        return None
    return value


def _phrases(option: Option) -> Iterable[str]:
    yield option.value
    yield from option.label.values()
    for words in option.synonyms.values():
        yield from words


def best_phrase_match(text: str, options: Sequence[Option]) -> Option | None:
    """Return the option whose label/synonym matches ``text`` best, None if none or a tie.

    Longer phrases win (``"fille et garçon"`` beats ``"fille"``); phrases of
    one or two characters only match the whole answer.
    """
    return _phrase_match(text, options)[0]


def _phrase_match(text: str, options: Sequence[Option]) -> tuple[Option | None, bool]:
    """Return the best-matching option (None on a tie) and whether there was a tie."""
    folded = fold(text)
    haystack = [stem(t) for t in folded.split()]
    best: Option | None = None
    best_score = 0
    tie = False
    for option in options:
        score = 0
        for phrase in _phrases(option):
            key = fold(phrase)
            if not key:
                continue
            if len(key.replace(" ", "")) <= _SHORT:
                hit = key == folded
            else:
                hit = find_phrase(haystack, [stem(t) for t in key.split()])
            if hit:
                score = max(score, len(key.split()) + (1 if key == folded else 0))
        if score > best_score:
            best, best_score, tie = option, score, False
        elif score and score == best_score and option.value != (best.value if best else None):
            tie = True
    return (None, True) if tie else (best, False)


def parse_choice(
    text: str,
    options: Sequence[Option],
    lexicon: Lexicon,
    units: Iterable[str] = (),
    also: Sequence[Option] = (),
) -> str | None:
    """Return the value of the chosen option, or None.

    Order: the whole answer is a menu number; an option's word matches (then
    a word of the options in ``also``, which are not in the menu); a number
    typed with a unit (``"3 ans"``) or out of the menu range (``"12"``) falls
    in an option's ``numbers`` range; a digit inside the text (``"le 2"``) is
    a menu number. An answer naming two options equally (``"2 filles et 1
    garçon"``) is not understood: its digits count children, not menu entries.
    """
    count = len(options)
    whole = whole_number(text, lexicon)
    if whole is not None and 1 <= whole <= count:
        return options[whole - 1].value
    matched, tie = _phrase_match(text, options)
    if matched is None and not tie and also:
        matched, tie = _phrase_match(text, also)
    if matched is not None:
        return matched.value
    if tie:
        return None
    unit_words = _unit_words(units)
    has_unit = any(stem(t) in unit_words for t in fold(text).split())
    number = find_number(text, lexicon)
    if number is not None and (has_unit or number > count or whole is not None):
        for option in options:
            if option.numbers and option.numbers[0] <= number <= option.numbers[1]:
                return option.value
        return None
    digit = find_number(text, lexicon, words=False)
    if digit is not None and not has_unit and 1 <= digit <= count:
        return options[digit - 1].value
    return None


def yesno_options(lexicon: Lexicon, unsure: bool) -> tuple[Option, ...]:
    """Return the yes/no(/not sure) options of the lexicon, in menu order."""
    keys = ("yes", "no", "unsure") if unsure else ("yes", "no")
    return tuple(lexicon.yesno[k] for k in keys)


def place_options(flow: Flow, state: StateDef) -> tuple[Option, ...]:
    """Return the menu of a place question: the group's places then extra options."""
    group = flow.place_group(state.places or "")
    places = tuple(
        Option(
            value=p.code,
            label={lang: p.label(lang) for lang in flow.languages},
            synonyms={"any": (p.name, *p.synonyms)},
        )
        for p in group
    )
    return places + state.options


def menu_options(flow: Flow, state: StateDef) -> tuple[Option, ...]:
    """Return the numbered options shown for ``state`` (empty for number/text questions)."""
    if state.type == "choice":
        return state.options
    if state.type == "yesno":
        return yesno_options(flow.lexicon, state.unsure)
    if state.type == "place":
        return place_options(flow, state)
    return ()


def parse_place(text: str, flow: Flow, state: StateDef) -> str | None:
    """Read a place answer: a menu entry, or any known place named in the text."""
    others = [
        Option(value=p.code, label={}, synonyms={"any": (p.name, *p.synonyms)})
        for p in flow.places
        if p.group != state.places
    ]
    return parse_choice(text, place_options(flow, state), flow.lexicon, also=others)


def is_skip(text: str, lexicon: Lexicon) -> bool:
    """Return True when the whole answer means "nothing to add" (``0``, ``non``, ``ayi``)."""
    return fold(text) in lexicon.skip or text.strip() in lexicon.skip


def parse_text(text: str, max_length: int) -> str | None:
    """Return the cleaned free text (spaces collapsed, cut to ``max_length``), None if empty."""
    cleaned = " ".join(text.split())
    return cleaned[:max_length] if cleaned else None


def parse_answer(
    flow: Flow, state: StateDef, text: str, language: str | None = None
) -> AnswerValue | None:
    """Read ``text`` as an answer to ``state``; None when it is not a valid answer.

    A skipped free-text answer is the empty string.
    """
    lexicon = flow.lexicon
    if state.type in ("choice", "yesno"):
        units = [u for words in state.units.values() for u in words]
        return parse_choice(text, menu_options(flow, state), lexicon, units)
    if state.type == "place":
        return parse_place(text, flow, state)
    if state.type == "number":
        low = state.minimum if state.minimum is not None else 0
        high = state.maximum if state.maximum is not None else 9999
        # The flow's units ("ans", "years") mark ages, which are no counted group.
        # A generator: read only when the answer has the two-groups shape.
        all_units = (u for s in flow.states.values() for ws in s.units.values() for u in ws)
        return parse_number(text, lexicon, low, high, all_units)
    if state.type == "text":
        if state.skippable and is_skip(text, lexicon):
            return ""
        return parse_text(text, state.max_length)
    return None
