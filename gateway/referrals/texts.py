"""SMS texts sent to focal points and reporters about a referral.

Every function returns the text as it must be sent: folded to GSM-7 with
:func:`gateway.encoding.gsm7_fold` and within its segment budget (two
segments for referral, info and escalation texts, one for the rest). Free
text typed by people (place, landmark, typed references) is folded, stripped
of anything outside GSM-7, and phone-number-like digit runs in it are masked;
the landmark, then the place, is shortened with ``...`` to fit. Texts never
carry a name, nor the reporter's number except in :func:`info_sms` when the
caller passes it. Focal-point texts exist in fr and en; reporter texts in fr,
en and bm (Bambara drafts, UNVALIDATED). Any other language falls back to fr.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from gateway.encoding import gsm7_fold, is_gsm7, prepare
from gateway.phones import NUMBER_IN_TEXT
from gateway.referrals.commands import BAD_REFERENCE, NEEDS_REFERENCE, UNKNOWN_COMMAND, ParseError
from gateway.referrals.lifecycle import display_status
from gateway.referrals.wording import LABELS as _L
from gateway.referrals.wording import REPLIES as _REPLIES
from gateway.referrals.wording import REPORTER as _REPORTER
from gateway.vocabulary import AGE_BANDS, CONCERNS, RISKS, SEXES

FOCAL_LANGUAGES = ("fr", "en")
REPORTER_LANGUAGES = ("fr", "en", "bm")  # bm: UNVALIDATED drafts
REPLY_CODES = (
    "accepted", "accepted_untold", "accepted_in_console", "already_accepted_by_other",
    "rejected_rerouted", "rejected_no_one", "info_no_number", "note_saved",
    "transferred", "unknown_agency", "same_agency", "nobody_at_agency", "closed", "list", "help",
    "unknown_reference", "not_yours", "moved_on", "wrong_syntax", "not_allowed", "accept_first",
    "stop_focal",
)  # fmt: skip
REPORTER_CODES = (
    "handled", "closed", "status_received", "status_in_progress", "status_closed",
    "status_unknown", "follow_up",
)  # fmt: skip


@dataclass(frozen=True)
class ReferralFacts:
    """What a focal point may learn about a referral: no name, no phone number."""

    reference: str
    risk: str  # RISKS
    concern: str  # CONCERNS
    sex: str  # SEXES
    age_band: str  # AGE_BANDS
    children: int | None
    place_name: str
    landmark: str  # free text typed by the reporter, may be empty
    callback_consent: bool

    def __post_init__(self) -> None:
        """Reject values outside the enumerations so no label is ever missing."""
        pairs = (self.risk, RISKS), (self.concern, CONCERNS), (self.sex, SEXES)
        for value, allowed in (*pairs, (self.age_band, AGE_BANDS)):
            if value not in allowed:
                raise ValueError(f"{value!r} is not one of {allowed}")
        if self.children is not None and self.children < 0:
            raise ValueError("children must be None or >= 0")


def _lang(lang: str, allowed: tuple[str, ...]) -> str:
    return lang if lang in allowed else "fr"


def _free(text: str, limit: int = 1000) -> str:
    """Fold typed text to GSM-7, drop the rest, collapse spaces, mask phone numbers."""
    folded = "".join(c for c in gsm7_fold(text[: limit * 2]) if is_gsm7(c))
    return NUMBER_IN_TEXT.sub("(tel)", " ".join(folded.split()))[:limit]


def _fits(text: str, max_segments: int) -> bool:
    return prepare(text).segments <= max_segments


def _hard_cut(text: str, max_segments: int) -> str:
    """Last resort: cut ``text`` (already GSM-7) until it fits, ending with ``...``."""
    while not _fits(text, max_segments):
        text = text[: len(text) - 4] + "..."
    return text


def _shorten(build: Callable[[str], str], value: str, max_segments: int) -> str | None:
    """Return ``build(value)`` with ``value`` cut (``...``) to fit; None if "" does not fit."""
    if _fits(build(value), max_segments):
        return build(value)
    low, high = 0, len(value) - 1  # longest prefix length that still fits
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(build(value[:middle].rstrip() + "..."), max_segments):
            low = middle
        else:
            high = middle - 1
    candidate = build(value[:low].rstrip() + "...") if low else build("")
    return candidate if _fits(candidate, max_segments) else None


def _facts_text(facts: ReferralFacts, lang: str, head: str, tail: str, segments: int) -> str:
    """Compose ``head``, the facts and ``tail``; shorten the landmark, then the place."""
    w = _L[lang]
    if facts.children is None:
        count = w["n?"]
    else:
        count = w["n1"] if facts.children == 1 else w["n"].format(facts.children)
    sex = w["sex?"] if facts.sex == "unknown" else w[facts.sex]
    age = w["age?"] if facts.age_band == "unknown" else w["age"].format(facts.age_band)
    concern = w[facts.concern][:1].upper() + w[facts.concern][1:]
    core = gsm7_fold(f"{head} {w[facts.risk]}. {concern}; {sex}, {age}; {count}.")
    end = gsm7_fold(f" {tail}")

    def build(place: str, landmark: str) -> str:
        where = f" {w['place']}: {place}." if place else ""
        mark = f" {w['landmark']}: {landmark}." if landmark else ""
        return gsm7_fold(core + where + mark) + end

    place, landmark = _free(facts.place_name, 80), _free(facts.landmark)
    text = _shorten(lambda mark: build(place, mark), landmark, segments)
    if text is None:
        text = _shorten(lambda where: build(where, ""), place, segments)
    return text if text is not None else _hard_cut(build("", ""), segments)


def referral_sms(facts: ReferralFacts, lang: str) -> str:
    """Return the referral SMS for a focal point (fr/en), within two segments."""
    lang = _lang(lang, FOCAL_LANGUAGES)
    w, ref = _L[lang], _free(facts.reference, 12)
    consent = w["consent"] + (w["yes"] if facts.callback_consent else w["no"]) + "."
    tail = consent + " " + w["answer"].format(r=ref)
    return _facts_text(facts, lang, f"RELAIS {ref}:", tail, 2)


def info_sms(
    facts: ReferralFacts, lang: str, reporter_number: str | None, *, ask_ok: bool = False
) -> str:
    """Return the details of a referral again, within two segments.

    ``reporter_number`` is included only when given: the caller decides
    (reporter consent and the referral accepted by this focal point). Without
    it, ``ask_ok`` says the number comes after the focal point's own OK (staff
    accepted for them in the console).
    """
    lang = _lang(lang, FOCAL_LANGUAGES)
    w, ref = _L[lang], _free(facts.reference, 12)
    number = re.sub(r"[^+0-9]", "", reporter_number or "")[:16]
    if number:
        tail = w["tel"].format(number)
    else:
        tail = w["notel_ok"].format(r=ref) if ask_ok else w["notel"]
    return _facts_text(facts, lang, f"RELAIS INFO {ref}:", tail, 2)


def _duration(minutes: int, lang: str) -> str:
    minutes = max(minutes, 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d}"
    return _L[lang]["days"].format(minutes // (24 * 60))


def escalation_sms(facts: ReferralFacts, lang: str, level: str, minutes_waiting: int) -> str:
    """Return the SMS for a backup or supervisor (``level``) when nobody accepted in time."""
    if level not in ("backup", "supervisor"):
        raise ValueError(f"level must be 'backup' or 'supervisor', not {level!r}")
    lang = _lang(lang, FOCAL_LANGUAGES)
    w, ref = _L[lang], _free(facts.reference, 12)
    head = w["escalation"].format(level=w[level], r=ref, wait=_duration(minutes_waiting, lang))
    return _facts_text(facts, lang, head, w["answer"].format(r=ref), 2)


def reminder_sms(reference: str, lang: str, days_open: int) -> str:
    """Return a one-segment reminder about a referral open for ``days_open`` days."""
    w = _L[_lang(lang, FOCAL_LANGUAGES)]
    days = w["day" if days_open == 1 else "days"].format(days_open)
    return _hard_cut(gsm7_fold(w["reminder"].format(r=_free(reference, 12), days=days)), 1)


def _list_text(prefix: str, references: list[str]) -> str:
    """Return ``prefix`` and as many references as fit one segment, then ``+N``."""
    refs = [_free(r, 12) for r in references]
    for shown in range(len(refs), 0, -1):
        more = f" +{len(refs) - shown}" if shown < len(refs) else ""
        text = gsm7_fold(prefix) + ", ".join(refs[:shown]) + more
        if _fits(text, 1):
            return text
    return gsm7_fold(prefix) + f"+{len(refs)}"


def reply(code: str, lang: str, **params: object) -> str:
    """Return the one-segment answer ``code`` to a focal point's command (fr/en).

    Parameters used: ``reference``, ``references`` (list), ``agency``,
    ``outcome`` (an outcome code), ``action`` (wrong_syntax, not_allowed),
    ``status`` (not_allowed) and ``agencies`` (unknown_agency: the codes to
    offer, when they fit one segment). Raises ValueError for an unknown code.
    """
    lang = _lang(lang, FOCAL_LANGUAGES)
    texts = _REPLIES[lang]
    ref = _free(str(params.get("reference") or "?"), 12)
    agency = _free(str(params.get("agency") or "?"), 24).upper()
    action = str(params.get("action") or "")
    usage = texts.get(action if action in NEEDS_REFERENCE else f"{action}_usage", "")
    if code == "list":
        given = params.get("references")
        references = [str(r) for r in given] if isinstance(given, list | tuple) else []
        return _list_text(texts["list"], references) if references else texts["list_empty"]
    if code == "wrong_syntax" and not usage:
        code = "help"
    if code not in REPLY_CODES:
        raise ValueError(f"unknown reply code {code!r}")
    status = str(params.get("status") or "")
    if code == "not_allowed" and action == "close" and status in ("notified", "escalated"):
        code = "accept_first"  # "FIN impossible: le cas est envoyé" did not say OK first
    agencies = params.get("agencies")
    if code == "unknown_agency" and isinstance(agencies, list | tuple) and agencies:
        # The codes they may use, when they fit; else the coordinator knows them.
        codes = ", ".join(_free(str(a), 24).upper() for a in agencies)
        listed = gsm7_fold(
            texts["unknown_agency_codes"].format(r=ref, agency=agency, agencies=codes)
        )
        if _fits(listed, 1):
            return listed
    outcome = str(params.get("outcome") or "other")
    text = texts[code].format(
        r=ref,
        agency=agency,
        outcome=_L[lang].get(outcome, _L[lang]["other"]),
        usage=usage.replace("REF", ref) if params.get("reference") else usage,
        keyword=usage.split()[0] if usage else _free(action, 12).upper(),
        status=display_status(status, lang) if status else "?",
    )
    return _hard_cut(gsm7_fold(text), 1)


def error_reply(error: ParseError) -> str:
    """Return the answer to a text that :func:`parse_command` could not use."""
    if error.code == UNKNOWN_COMMAND:
        return reply("help", error.lang)
    if error.code == BAD_REFERENCE:
        return reply("unknown_reference", error.lang, reference=error.typed)
    return reply("wrong_syntax", error.lang, action=error.action, reference=error.reference)


def reporter_text(code: str, lang: str, reference: str) -> str:
    """Return the one-segment message ``code`` for a reporter, in fr, en or bm (unvalidated).

    For STATUS answers use ``"status_" + reporter_view(status)``, and
    ``status_unknown`` both for unknown references and for other people's.
    """
    texts = _REPORTER[_lang(lang, REPORTER_LANGUAGES)]
    if code not in REPORTER_CODES:
        raise ValueError(f"unknown reporter text code {code!r}")
    return _hard_cut(gsm7_fold(texts[code].format(r=_free(reference, 12))), 1)
