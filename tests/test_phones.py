"""Phone number parsing and masking."""

from __future__ import annotations

import pytest

from gateway import phones
from gateway.phones import InvalidNumber, mask, mask_numbers_in, normalize


@pytest.mark.parametrize(
    "raw",
    [
        "+22376123445",
        "0022376123445",
        "76 12 34 45",
        "76123445",
        "tel:+22376123445",
        " +223 76-12-34-45 ",
    ],
)
def test_mali_numbers_normalise_to_e164(raw: str) -> None:
    assert normalize(raw) == "+22376123445"


def test_other_countries_keep_their_code() -> None:
    assert normalize("+254711082000") == "+254711082000"


@pytest.mark.parametrize("raw", ["", "abc", "123", "+223 1234", "9" * 40, "+22300000000"])
def test_invalid_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidNumber):
        normalize(raw)


def test_mask_keeps_country_first_and_last_two_digits() -> None:
    assert mask("+22376123445") == "+223 7\u2022\u2022\u2022\u2022\u202245"
    assert mask("12") == "\u2022" * 4


def test_numbers_inside_text_are_masked() -> None:
    text = "call +22376123445 or 76 12 34 45 now, ref K7QX2P, 12 children"
    masked = mask_numbers_in(text)
    assert "76123445" not in masked and "76 12 34 45" not in masked
    assert "K7QX2P" in masked and "12 children" in masked


@pytest.mark.parametrize(
    "written",
    ["76/12/34/45", "(76) 12 34 45", "76,12,34,45", "(+223) 76-12-34-45", "7612 3445", "1" * 20],
)
def test_numbers_are_masked_however_they_are_written(written: str) -> None:
    masked = mask_numbers_in(f"appelez {written} svp")
    assert masked.startswith("appelez +") and masked.endswith(" svp")
    assert not any(
        written[i : i + 4] in masked
        for i in range(len(written) - 3)
        if written[i : i + 4].isdigit()
    )


@pytest.mark.parametrize(
    "typed", ["tel76123445", "appelle76123445", "76123445svp", "76_12_34_45", "76 - 12 - 34 - 45"]
)
def test_numbers_glued_to_words_are_masked(typed: str) -> None:
    """A letter next to the number used to stop the match: shown in clear on the
    case page and in the referral SMS."""
    masked = mask_numbers_in(f"voisin {typed} merci")
    assert "34" not in masked and masked.startswith("voisin ") and masked.endswith(" merci")


def test_short_counts_and_ages_are_not_masked() -> None:
    text = "3, 4 enfants de 5 ans, 12 children, ref K7QX2P"
    assert mask_numbers_in(text) == text


@pytest.mark.parametrize(
    ("e164", "written"),
    [
        ("+22376123445", "76 12 34 45"),
        ("+22320223344", "20 22 33 44"),
        ("+33612345678", "0033 6 12 34 56 78"),
        ("+2250701020304", "00225 07 01 02 0304"),
        ("garbage", "garbage"),
    ],
)
def test_numbers_for_a_spreadsheet_are_text_a_person_dials(e164: str, written: str) -> None:
    """Excel turns +22376123445 into 2.2376E+10 and reads "+223 76…" as a formula."""
    assert phones.for_spreadsheet(e164) == written
