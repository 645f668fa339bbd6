"""Tests for gateway.referrals.texts: content, privacy and SMS segment budgets."""

from __future__ import annotations

import dataclasses
import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.encoding import GSM7, gsm7_fold, prepare
from gateway.referrals.commands import ALPHABET, ParseError
from gateway.referrals.texts import (
    AGE_BANDS,
    CONCERNS,
    REPLY_CODES,
    REPORTER_CODES,
    RISKS,
    SEXES,
    ReferralFacts,
    error_reply,
    escalation_sms,
    info_sms,
    referral_sms,
    reminder_sms,
    reply,
    reporter_text,
)

REF = "K7QX2P"
NUMBER = "+22376123456"
LOCAL = "76123456"
PLACE = "Commune IV, Lafiabougou"
LANDMARK = "Derrière la mosquée, près du marché"
HUGE_LANDMARK = ("Près de l'école « Sɛbɛn » où les ŋaniya ɲɔgɔn bɛ — côté forêt… " * 10)[:500]


def facts(**changes: object) -> ReferralFacts:
    base = ReferralFacts(REF, "high", "separated", "girl", "5-11", 2, PLACE, LANDMARK, True)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def assert_sms(text: str, max_segments: int) -> None:
    info = prepare(text)
    assert info.text == text, "texts must be returned already folded"
    assert info.encoding == GSM7
    assert info.segments <= max_segments


def all_facts() -> list[ReferralFacts]:
    combos = itertools.product(RISKS, CONCERNS, SEXES, AGE_BANDS, [None, 0, 1, 12], [True, False])
    return [
        facts(risk=r, concern=c, sex=s, age_band=a, children=n, callback_consent=k)
        for r, c, s, a, n, k in combos
    ]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_combination_fits_two_segments_and_hides_the_reporter(lang: str) -> None:
    for item in all_facts():
        for text in (
            referral_sms(item, lang),
            info_sms(item, lang, None),
            escalation_sms(item, lang, "backup", 45),
            escalation_sms(item, lang, "supervisor", 4000),
        ):
            assert_sms(text, 2)
            assert REF in text
            assert LOCAL not in text
        with_number = info_sms(item, lang, NUMBER)
        assert_sms(with_number, 2)
        assert NUMBER in with_number


def test_referral_sms_content_in_french() -> None:
    text = referral_sms(facts(), "fr")
    for part in ("RELAIS K7QX2P", "RISQUE ELEVE", "Enfant séparé", "fille", "5-11 ans"):
        assert part in text
    for part in ("2 enfants", PLACE, gsm7_fold(LANDMARK), "Rappel signalant: oui"):
        assert part in text
    assert "Rep: OK K7QX2P / NON K7QX2P raison / INFO K7QX2P" in text
    assert "Rappel signalant: non" in referral_sms(facts(callback_consent=False), "fr")
    assert "nombre inconnu" in referral_sms(facts(children=None), "fr")
    assert "1 enfant." in referral_sms(facts(children=1), "fr")


def test_referral_sms_content_in_english() -> None:
    text = referral_sms(facts(risk="low", sex="boy", age_band="unknown"), "en")
    for part in ("LOW RISK", "Separated child", "boy", "age unknown", "2 children"):
        assert part in text
    assert "Reply: OK K7QX2P / NO K7QX2P reason / INFO K7QX2P" in text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_huge_landmark_is_truncated_to_two_gsm7_segments(lang: str) -> None:
    item = facts(landmark=HUGE_LANDMARK)
    for text in (referral_sms(item, lang), info_sms(item, lang, NUMBER)):
        assert_sms(text, 2)
        assert prepare(text).length > 290  # the space is used, not wasted
        assert "..." in text
        assert REF in text
        assert PLACE in text
    assert "INFO K7QX2P" in referral_sms(item, lang)  # the answer hint survives
    assert NUMBER in info_sms(item, lang, NUMBER)


def test_truncated_landmark_is_a_prefix_of_the_folded_landmark() -> None:
    text = referral_sms(facts(landmark=HUGE_LANDMARK), "fr")
    kept = re.search(r"Repère: (.*?)\.\.\.\.", text)
    assert kept is not None
    assert " ".join(gsm7_fold(HUGE_LANDMARK).split()).startswith(kept.group(1))


def test_phone_numbers_typed_in_the_landmark_are_masked() -> None:
    item = facts(landmark=f"chez le vieux, appelez {NUMBER} ou 76 12 34 56")
    for text in (referral_sms(item, "fr"), info_sms(item, "en", None)):
        assert LOCAL not in text
        assert "76 12 34 56" not in text
        assert "(tel)" in text


def test_facts_have_no_field_for_a_name_or_a_number() -> None:
    names = {field.name for field in dataclasses.fields(ReferralFacts)}
    assert not {"name", "reporter_name", "child_name", "phone", "reporter_number"} & names


def test_facts_reject_values_outside_the_enumerations() -> None:
    with pytest.raises(ValueError):
        facts(risk="urgent")
    with pytest.raises(ValueError):
        facts(age_band="18+")
    with pytest.raises(ValueError):
        facts(children=-1)


FREE_TEXT = st.text(max_size=600)


@given(FREE_TEXT, FREE_TEXT, st.sampled_from(["fr", "en", "bm"]))
def test_any_typed_place_and_landmark_fit(place: str, landmark: str, lang: str) -> None:
    item = facts(place_name=place, landmark=landmark)
    for text in (referral_sms(item, lang), info_sms(item, lang, None)):
        assert_sms(text, 2)
        assert REF in text


def test_escalation_and_reminder() -> None:
    text = escalation_sms(facts(), "fr", "supervisor", 95)
    assert "superviseur" in text
    assert "1 h 35" in text
    assert "suppléant" in escalation_sms(facts(), "fr", "backup", 5)
    assert "5 min" in escalation_sms(facts(), "en", "backup", 5)
    with pytest.raises(ValueError):
        escalation_sms(facts(), "fr", "director", 5)
    for lang in ("fr", "en"):
        for days in (0, 1, 7, 10_000):
            text = reminder_sms(REF, lang, days)
            assert_sms(text, 1)
            assert REF in text
            assert str(days) in text
    assert "1 jour." in reminder_sms(REF, "fr", 1)


def reply_params(reference: str = REF) -> dict[str, object]:
    return {
        "reference": reference,
        "references": [REF] * 5,
        "agency": "dnpef",
        "outcome": "reunified",
        "action": "close",
        "status": "closed",
        "agencies": ["dnds", "samusocial", "unicef"],
    }


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("code", REPLY_CODES)
def test_every_reply_fits_one_segment(code: str, lang: str) -> None:
    text = reply(code, lang, **reply_params())
    assert_sms(text, 1)
    if code not in ("help", "list", "stop_focal"):
        assert REF in text
    long_typed = reply(code, lang, **reply_params("ɛ" * 500 + "😀"))
    assert_sms(long_typed, 1)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_unknown_agency_is_answered_with_the_codes_when_they_fit(lang: str) -> None:
    """It said "ask your coordinator for its code": no help at night, when the
    coordinator does not answer and the case waits."""
    listed = reply("unknown_agency", lang, reference=REF, agency="dnps", agencies=["dnds", "iom"])
    assert "DNPS" in listed and listed.endswith("Codes: DNDS, IOM.")
    assert_sms(listed, 1)
    many = [f"agency-number-{n}" for n in range(12)]
    too_many = reply("unknown_agency", lang, reference=REF, agency="dnps", agencies=many)
    assert too_many == reply("unknown_agency", lang, reference=REF, agency="dnps")
    assert "Codes" not in too_many


def test_close_before_accepting_says_to_accept_first() -> None:
    for status in ("notified", "escalated"):
        text = reply("not_allowed", "fr", reference=REF, action="close", status=status)
        assert (
            text
            == "FIN impossible: le cas K7QX2P n'est pas encore accepté. Envoyez d'abord OK K7QX2P."
        )
    assert "Send OK K7QX2P first" in reply(
        "not_allowed", "en", reference=REF, action="close", status="notified"
    )
    assert "impossible" in reply(
        "not_allowed", "fr", reference=REF, action="note", status="notified"
    )


def test_reply_content() -> None:
    assert reply("not_allowed", "fr", reference=REF, action="close", status="closed") == (
        "FIN impossible: le cas K7QX2P est cloturé."
    )
    assert "DNPEF" in reply("transferred", "fr", reference=REF, agency="dnpef")
    assert "réunifié" in reply("closed", "fr", reference=REF, outcome="reunified")
    assert "NON K7QX2P raison" in reply("wrong_syntax", "fr", reference=REF, action="reject")
    assert "NOTE REF text" in reply("wrong_syntax", "en", action="note")
    assert reply("wrong_syntax", "fr") == reply("help", "fr")
    assert reply("help", "en") != reply("help", "fr")
    assert reply("help", "bm") == reply("help", "fr")  # focal points: fr/en only
    with pytest.raises(ValueError):
        reply("list_empty", "fr")
    with pytest.raises(ValueError):
        reply("thanks", "fr")


@pytest.mark.parametrize("count", [0, 1, 5, 17, 18, 100])
def test_list_is_truncated_with_a_count_of_the_rest(count: int) -> None:
    references = [f"{ALPHABET[i % 32]}{ALPHABET[i // 32]}QX2P" for i in range(count)]
    text = reply("list", "fr", references=references)
    assert_sms(text, 1)
    if count == 0:
        assert text == "Aucun cas ouvert."
        return
    assert text.startswith("Vos cas ouverts: ")
    shown = [r for r in references if r in text]
    assert shown == references[: len(shown)]
    more = re.search(r"\+(\d+)$", text)
    hidden = int(more.group(1)) if more else 0
    assert len(shown) + hidden == count
    assert len(shown) >= min(count, 17)  # the segment is filled


def test_error_replies() -> None:
    assert error_reply(ParseError("unknown_command", "en")) == reply("help", "en")
    bad = error_reply(ParseError("bad_reference", "fr", "accept", "K7QXOP"))
    assert bad == reply("unknown_reference", "fr", reference="K7QXOP")
    missing = error_reply(ParseError("missing_argument", "fr", "transfer"))
    assert "TRANSFERT REF agence" in missing
    assert error_reply(ParseError("missing_reference", "en", "info")).endswith("INFO REF")


@pytest.mark.parametrize("lang", ["fr", "en", "bm"])
@pytest.mark.parametrize("code", REPORTER_CODES)
def test_reporter_texts_fit_one_segment_and_carry_the_reference(code: str, lang: str) -> None:
    text = reporter_text(code, lang, REF)
    assert_sms(text, 1)
    assert REF in text
    assert_sms(reporter_text(code, lang, "x" * 400), 1)


def test_reporter_texts_are_translated_and_known() -> None:
    assert reporter_text("handled", "fr", REF) == (
        "Un travailleur social s'occupe de votre signalement K7QX2P. Merci."
    )
    texts = {reporter_text("status_received", lang, REF) for lang in ("fr", "en", "bm")}
    assert len(texts) == 3
    assert reporter_text("handled", "xx", REF) == reporter_text("handled", "fr", REF)
    with pytest.raises(ValueError):
        reporter_text("status_accepted", "fr", REF)
