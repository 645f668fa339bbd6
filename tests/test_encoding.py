"""Tests for gateway.encoding: GSM-7 folding and SMS segment counting."""

from __future__ import annotations

import dataclasses
import math
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.encoding import TextInfo, fits, gsm7_fold, is_gsm7, prepare, segments, septets

# GSM 03.38 default alphabet, 0x00-0x7F without ESC (0x1B), and extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"

# Characters the brief names explicitly (folded through the special table).
SPECIALS = "âêîôûëïÿÀÂÈÊÎÔÙÛœŒç’‘“”«»…–—\u00a0\u202fɛƐɔƆɲƝŋŊ"

FRENCH = {
    "Un enfant est en danger près du marché, à côté de l'école.": (
        "Un enfant est en danger près du marché, à coté de l'école."
    ),
    "Êtes-vous sûr ? Réponse « oui » ou « non »…": (
        'Etes-vous sur ? Réponse " oui " ou " non "...'
    ),
    "Où êtes-vous ? Précisez le quartier.": "Où etes-vous ? Précisez le quartier.",
    "L’œuf de la sœur — «\u00a0Ça\u202fva\u00a0» — garçon": (
        'L\'oeuf de la soeur - " Ça va " - garcon'
    ),
}

BAMBARA = {
    "I ni ce. Denmisɛn dɔ bɛ farati la.": "I ni ce. Denmisèn dò bè farati la.",
    "Aw ye mɔgɔ ɲini": "Aw ye mògò nyini",
    "Sɔgɔma ŋaniya": "Sògòma nganiya",
    "ƐƆ Ɲɛ Ŋa": "EO Nyè Nga",
}


def test_basic_alphabet_has_127_characters_and_excludes_esc() -> None:
    assert len(set(GSM7_BASIC)) == 127
    assert is_gsm7(GSM7_BASIC + GSM7_EXTENSION)
    assert not is_gsm7("\x1b")
    assert is_gsm7("")


@pytest.mark.parametrize("char", ["ç", "â", "`", "\t", "ɛ", "\u2126", "α", "€\u0301", "😀", "\x1b"])
def test_is_gsm7_rejects_characters_outside_both_tables(char: str) -> None:
    assert not is_gsm7("abc" + char)


def test_fold_keeps_gsm7_text_unchanged() -> None:
    text = GSM7_BASIC + GSM7_EXTENSION
    assert gsm7_fold(text) == text


@pytest.mark.parametrize(("original", "folded"), sorted(FRENCH.items()))
def test_french_sentences_fold_to_gsm7(original: str, folded: str) -> None:
    assert not is_gsm7(original)
    assert gsm7_fold(original) == folded
    assert is_gsm7(folded)


@pytest.mark.parametrize(("original", "folded"), sorted(BAMBARA.items()))
def test_bambara_sentences_fold_to_gsm7(original: str, folded: str) -> None:
    assert not is_gsm7(original)
    assert gsm7_fold(original) == folded
    info = prepare(original)
    assert (info.text, info.encoding, info.length, info.segments) == (
        folded,
        "GSM-7",
        len(folded),
        1,
    )


@pytest.mark.parametrize(
    ("original", "folded"),
    [
        ("âêîôûëïÿ", "aeioueiy"),
        ("ÀÂÈÊÎÔÙÛ", "AAEEIOUU"),
        ("œŒ", "oeOE"),
        ("’‘“”«»", '\'\'""""'),
        ("…–—", "...--"),
        ("a\u00a0b\u202fc\u2009d", "a b c d"),
        ("áÁíóúýÃõŷĉŝ", "aAiouyAoycs"),  # NFKD base letter fallback
        ("e\u0301te\u0301 ɛ\u0300", "été è"),  # decomposed accents
        ("ﬁn n° 2² \u2126", "fin no 22 Ω"),  # ligature, degree, superscript, ohm sign
        ("pré\u00adven\u200btion", "prévention"),
    ],
)
def test_fold_specials_and_fallbacks(original: str, folded: str) -> None:
    assert gsm7_fold(original) == folded


@pytest.mark.parametrize("text", ["مرحبا، هل أنت بخير؟", "你好，孩子在危险中", "Привет", "👍🏾"])
def test_unknown_scripts_stay_as_is_and_ucs2(text: str) -> None:
    assert gsm7_fold(text) == text
    assert prepare(text).encoding == "UCS-2"


def test_fold_keeps_unrepresentable_part_of_mixed_text() -> None:
    assert gsm7_fold("Sɔrɔ ✓ ™ ½ 🙏") == "Sòrò ✓ ™ ½ 🙏"
    assert gsm7_fold("ά") == "ά"  # Greek small letters are not GSM-7: keep the accent too


def test_french_text_of_160_folded_characters_is_one_segment() -> None:
    sentence = "Êtes-vous sûr ? L’enfant est à côté du marché, près de l’école. "
    text = (sentence * 3)[:160]
    info = prepare(text)
    assert (info.encoding, info.length, info.segments) == ("GSM-7", 160, 1)
    raw = prepare(text, fold=False)
    assert (raw.text, raw.encoding, raw.length, raw.segments) == (text, "UCS-2", 160, 3)
    assert fits(text)
    assert not fits(text, fold=False)
    assert fits(text, max_segments=3, fold=False)
    assert not fits(text + "ê")
    assert fits(text + "ê", max_segments=2)


def test_septets_counts_extension_characters_twice() -> None:
    assert septets("") == 0
    assert septets("abc") == 3
    assert septets("5€") == 3
    assert septets(GSM7_EXTENSION) == 2 * len(GSM7_EXTENSION)
    assert septets(GSM7_BASIC) == 127
    with pytest.raises(ValueError, match="GSM-7"):
        septets("ç")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("€" * 80, 1),  # 160 septets
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),  # 161 septets
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, the pair cannot straddle 153
        ("a" * 151 + "€" + "a" * 153, 2),  # 306 septets, the pair ends segment 1
        ("€" * 153, 3),  # 306 septets but 76 pairs per segment
        ("ɛ" * 70, 1),
        ("ɛ" * 71, 2),
        ("ɛ" * 134, 2),
        ("ɛ" * 135, 3),
        ("😀" * 35, 1),  # 70 UTF-16 units
        ("😀" * 36, 2),
        ("ɛ" * 66 + "😀" * 34, 3),  # 134 units, the surrogate pair cannot straddle 67
        ("ɛ" * 65 + "😀" * 34 + "ɛ", 2),
    ],
)
def test_segment_boundaries(text: str, expected: int) -> None:
    assert segments(text) == expected


def test_emoji_forces_ucs2_and_counts_two_units() -> None:
    info = prepare("Merci 🙏")
    assert (info.encoding, info.length, info.segments) == ("UCS-2", 8, 1)
    assert prepare("a" * 68 + "🙏").segments == 1
    assert prepare("a" * 69 + "🙏").segments == 2


def test_prepare_without_fold_and_empty_text() -> None:
    assert prepare("ɛ", fold=False) == TextInfo("ɛ", "UCS-2", 1, 1)
    assert prepare("ɛ") == TextInfo("è", "GSM-7", 1, 1)
    assert prepare("") == TextInfo("", "GSM-7", 0, 1)
    assert prepare("[ok]") == TextInfo("[ok]", "GSM-7", 6, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        prepare("a").text = "b"  # type: ignore[misc]


# Latin-1 letters, spaces and punctuation, plus the explicitly folded characters.
FOLDABLE = sorted(
    {chr(i) for i in range(0x20, 0x100) if unicodedata.category(chr(i))[0] in "LZP"} | set(SPECIALS)
)


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    once = gsm7_fold(text)
    assert gsm7_fold(once) == once


@given(st.text(alphabet=st.sampled_from(FOLDABLE)))
def test_latin1_and_specials_always_fold_to_gsm7(text: str) -> None:
    assert is_gsm7(gsm7_fold(text))


@given(st.text(), st.characters())
def test_segments_at_least_one_and_monotonic(text: str, char: str) -> None:
    assert segments(text) >= 1
    assert segments(text + char) >= segments(text)


@given(st.text(alphabet=st.sampled_from(GSM7_BASIC + GSM7_EXTENSION), min_size=120))
def test_gsm7_segments_between_153_and_152_per_segment(text: str) -> None:
    n = septets(text)
    count = segments(text)
    if n <= 160:
        assert count == 1
    else:
        assert math.ceil(n / 153) <= count <= math.ceil(n / 152)
