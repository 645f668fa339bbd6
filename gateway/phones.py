"""Phone numbers: parse to E.164 with ``phonenumbers`` and mask for logs.

Every number that enters Relais goes through :func:`normalize` (default region
Mali, ``ML``) and is stored as E.164. Numbers never appear in clear in logs:
:func:`mask` keeps the country code, the first and the last two digits.
"""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "ML"
_BULLET = "\u2022"


class InvalidNumber(ValueError):
    """Raised when a string is not a valid phone number."""


def normalize(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return ``raw`` as an E.164 string, or raise :class:`InvalidNumber`.

    Accepts what providers and people send: ``+22376123445``, ``0022376123445``,
    ``76 12 34 45`` (national, region ``ML``), ``tel:+223...``.
    """
    text = (raw or "").strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or len(text) > 32:
        raise InvalidNumber("empty or too long")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(str(exc)) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber("not a valid number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def for_spreadsheet(e164: str) -> str:
    """A number as a spreadsheet keeps it and a person in Mali dials it.

    Malian numbers in the national format (``76 12 34 45``), others with the
    ``00`` international prefix (``0033 6 12 34 56 78``). Never E.164 in a
    CSV: Excel reads ``+22376123445`` as the number 2.2376E+10, and a leading
    ``+`` with spaces as a formula; digits with spaces stay text.
    """
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(parsed) == DEFAULT_REGION:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return "00" + international.removeprefix("+")


def mask(e164: str) -> str:
    """Mask an E.164 number for logs: ``+22376123445`` → ``+223 7•••••45``."""
    digits = re.sub(r"\D", "", e164 or "")
    if len(digits) < 6:
        return _BULLET * 4
    try:
        cc = str(phonenumbers.parse("+" + digits).country_code)
    except phonenumbers.NumberParseException:
        cc = digits[:3]
    national = digits[len(cc) :]
    if len(national) < 4:
        return f"+{cc} " + _BULLET * 4
    return f"+{cc} {national[0]}{_BULLET * (len(national) - 3)}{national[-2:]}"


# Anything that looks like a phone number inside free text: 8 digits or more,
# maybe with a leading + or 00, and between digits up to three of the
# separators people type on a phone: space . - / , ( ) _ — "76 12 34 45",
# "76/12/34/45", "(76) 12 34 45", "76 - 12 - 34 - 45", "76_12_34_45". Only a
# digit next to it stops a match, never a letter: "tel76123445" and
# "76123445svp" are numbers too. A date such as 12/05/2024 is masked as well:
# hiding a date by mistake costs less than showing a number.
NUMBER_IN_TEXT = re.compile(r"(?<![\d+])\(?\+?\d(?:[\s.\-/,()_]{0,3}\d){7,}(?!\d)")


def mask_numbers_in(text: str) -> str:
    """Replace every phone-number-looking run of digits in ``text`` by its mask."""
    return NUMBER_IN_TEXT.sub(lambda m: mask(m.group(0)), text)
