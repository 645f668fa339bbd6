"""Printable cards: what focal points, reporters and community relays send by SMS.

``GET /console/cards`` (every signed-in role: the cards hold no personal data)
shows three cards in the console's language, to print for a training or pin
by a desk:

* the focal point's commands (OK, NON, INFO, NOTE, TRANSFERT, FIN, LISTE) with
  an example of each and the outcome words FIN understands;
* the reporter's card: the number to text and the USSD code to dial
  (``REPORT_SMS_NUMBER``, ``REPORT_USSD_CODE``; lines to fill in by hand when
  unknown), the keywords, and the safety rules;
* the one-shot ``ALERTE`` format for trained community relays (RECOPE), with
  its codes as :file:`flows/oneshot.yaml` defines them.

The examples are built from the same words the parsers read
(:mod:`gateway.referrals.commands`, :mod:`gateway.referrals.outcomes`, the
one-shot codes), and ``tests/console/test_cards.py`` sends each one through
its parser: a card cannot teach a command Relais no longer understands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from gateway import runtime
from gateway.console import i18n
from gateway.console import permissions as perms
from gateway.phones import InvalidNumber, for_spreadsheet, normalize
from gateway.referrals import commands as c

bp = Blueprint("console_cards", __name__, url_prefix="/console")

# A reference in the reference alphabet (no 0/O/1/I), the one the SMS help uses.
EXAMPLE_REFERENCE = "K7QX2P"


@dataclass(frozen=True)
class CommandLine:
    """One command of the focal point's card: what to send, and what it does."""

    action: str
    words: dict[str, str]  # language -> the whole example SMS
    effect: Any


def _sms(keyword: str, rest: str = "") -> str:
    return f"{keyword} {EXAMPLE_REFERENCE} {rest}".strip()


FOCAL_COMMANDS: tuple[CommandLine, ...] = (
    CommandLine(
        c.ACCEPT,
        {"fr": _sms("OK"), "en": _sms("OK")},
        _l("Accept the case: you follow it. Answer quickly, or it goes to your backup."),
    ),
    CommandLine(
        c.REJECT,
        {"fr": _sms("NON", "pas notre zone"), "en": _sms("NO", "not our area")},
        _l("Refuse, with a reason: the case goes to the next person."),
    ),
    CommandLine(
        c.INFO,
        {"fr": _sms("INFO"), "en": _sms("INFO")},
        _l(
            "The details again. Once you have accepted, and only if the reporter agreed,"
            " the reporter's number to call back."
        ),
    ),
    CommandLine(
        c.NOTE,
        {"fr": _sms("NOTE", "enfant vu, en sécurité"), "en": _sms("NOTE", "child seen, safe")},
        _l("Add a note to the case (never the child's name)."),
    ),
    CommandLine(
        c.TRANSFER,
        {"fr": _sms("TRANSFERT", "DNPEF"), "en": _sms("TRANSFER", "DNPEF")},
        _l("Hand a case you hold to another agency (its code or its name)."),
    ),
    CommandLine(
        c.CLOSE,
        {"fr": _sms("FIN", "réunifié"), "en": _sms("CLOSE", "reunified")},
        _l("Close a case you accepted, with its outcome (below)."),
    ),
    CommandLine(
        c.LIST,
        {"fr": "LISTE", "en": "LIST"},
        _l("The references of the open cases you hold."),
    ),
)

# outcome code -> the word to write after FIN, per language.
OUTCOME_WORDS: dict[str, dict[str, str]] = {
    "reunified": {"fr": "réunifié", "en": "reunified"},
    "placed_in_care": {"fr": "placé", "en": "placed"},
    "referred_to_services": {"fr": "orienté", "en": "referred"},
    "not_found": {"fr": "introuvable", "en": "not found"},
    "false_alarm": {"fr": "fausse alerte", "en": "false alarm"},
}
OUTCOME_LABELS = {
    "reunified": _l("back with the family"),
    "placed_in_care": _l("placed in care (foster family, centre)"),
    "referred_to_services": _l("referred to other services"),
    "not_found": _l("child not found"),
    "false_alarm": _l("false alarm"),
}

# The reporter's keywords, per language (as flows/lexicon.yaml reads them).
REPORTER_KEYWORDS: dict[str, tuple[tuple[str, Any], ...]] = {
    "fr": (
        ("AIDE", _l("help")),
        ("STATUT " + EXAMPLE_REFERENCE, _l("where your alert stands")),
        ("STOP", _l("no more SMS from Relais (START to resume)")),
    ),
    "en": (
        ("HELP", _l("help")),
        ("STATUS " + EXAMPLE_REFERENCE, _l("where your alert stands")),
        ("STOP", _l("no more SMS from Relais (START to resume)")),
    ),
}
ONESHOT_EXAMPLES = ("ALERTE ENA F 12 C5 Marche Medine", "ALERTE EXP URG 3 G 9 Segou gare routiere")
CONCERN_CODES = (
    ("ENA", _l("unaccompanied or separated child")),
    ("DEP", _l("displaced child")),
    ("ABUS", _l("abuse or violence")),
    ("EXP", _l("exploitation, child labour or trafficking")),
    ("RUE", _l("child living in the street")),
    ("AUT", _l("other")),
)
SEX_CODES = (
    ("F", _l("girl")),
    ("G", _l("boy")),
    ("FG", _l("girls and boys")),
    ("X", _l("unknown")),
)


def report_number(settings: Any) -> str:
    """The number reporters text, as dialled in Mali: ``REPORT_SMS_NUMBER``, else
    ``TWILIO_FROM`` when Twilio sends; "" when unknown (a line to fill in)."""
    configured = settings.REPORT_SMS_NUMBER or (
        settings.TWILIO_FROM if settings.SMS_PROVIDER == "twilio" else ""
    )
    try:
        return for_spreadsheet(normalize(configured)) if configured else ""
    except InvalidNumber:
        return configured  # a short code, as configured


def card_language() -> str:
    """The cards' language: the console's when the cards have it, else French."""
    lang = i18n.select_locale()
    return lang if lang in ("fr", "en") else "fr"


@bp.get("/cards")
@perms.signed_in
def cards() -> ResponseReturnValue:
    """The three printable cards in the console's language."""
    lang, settings = card_language(), runtime.current().settings
    return render_template(
        "console/cards/index.html",
        lang=lang,
        commands=FOCAL_COMMANDS,
        outcomes=[(OUTCOME_WORDS[o][lang], OUTCOME_LABELS[o]) for o in OUTCOME_WORDS],
        reporter_keywords=REPORTER_KEYWORDS[lang],
        number=report_number(settings),
        ussd_code=settings.REPORT_USSD_CODE,
        oneshot_examples=ONESHOT_EXAMPLES,
        concern_codes=CONCERN_CODES,
        sex_codes=SEX_CODES,
        reference=EXAMPLE_REFERENCE,
    )
