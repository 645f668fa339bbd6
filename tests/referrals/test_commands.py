"""Tests for gateway.referrals.commands: what focal points actually type."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.referrals.agency_words import agency_candidates
from gateway.referrals.commands import (
    ALPHABET,
    Command,
    ParseError,
    parse_command,
)
from gateway.referrals.outcomes import OUTCOMES, normalise_outcome

R = "K7QX2P"

CASES: list[tuple[str, Command | ParseError]] = [
    ("ok k7qx2p", Command("accept", R)),
    ("Ok K7QX-2P", Command("accept", R)),
    ("OUI  k7qx2p", Command("accept", R, lang="fr")),
    ("ACCEPT K7QX2P", Command("accept", R, lang="en")),
    ("Accepté k7qx2p", Command("accept", R, lang="fr")),
    ("ok: K7QX2P.", Command("accept", R)),
    ("OKK7QX2P", Command("accept", R)),
    ("ok k7 qx 2p", Command("accept", R)),
    ("ok K7QX2P merci", Command("accept", R, raw_note="merci")),
    ("  ok\nk7qx2p  ", Command("accept", R)),
    ("non K7QX2P pas notre zone", Command("reject", R, "pas notre zone", "pas notre zone")),
    ("Non, K7QX2P: hors zone", Command("reject", R, "hors zone", "hors zone")),
    ("NO k7qx2p", Command("reject", R, lang="en")),
    ("REFUSE K7QX2P trop loin", Command("reject", R, "trop loin", "trop loin")),
    ("info K7QX2P", Command("info", R)),
    ("INFO k7qx2p", Command("info", R)),
    ("note K7QX2P enfant vu ce matin", Command("note", R, *["enfant vu ce matin"] * 2)),
    ("transfert K7QX2P DNPEF", Command("transfer", R, "dnpef", lang="fr")),
    ("TRANSFER k7qx2p samu-social urgent", Command("transfer", R, "samu-social", "urgent", "en")),
    ("fin K7QX2P réunifié", Command("close", R, "reunified", "réunifié")),
    ("CLOSE k7qx2p false alarm", Command("close", R, "false_alarm", "false alarm", "en")),
    ("Clôture K7QX2P placé en FAT", Command("close", R, "placed_in_care", "placé en FAT")),
    ("CLOS K7QX2P introuvable", Command("close", R, "not_found", "introuvable")),
    ("fin K7QX2P parti au village", Command("close", R, "other", "parti au village")),
    # The everyday words, not only the ones the texts teach (they got the help).
    ("fermé K7QX2P réunifié", Command("close", R, "reunified", "réunifié")),
    ("FERMER k7qx2p placé", Command("close", R, "placed_in_care", "placé")),
    ("Ferme K7QX2P", ParseError("missing_argument", "fr", "close", reference="K7QX2P")),
    ("closed K7QX2P reunited", Command("close", R, "reunified", "reunited", "en")),
    ("refus K7QX2P hors zone", Command("reject", R, "hors zone", "hors zone")),
    ("Refused K7QX2P", Command("reject", R, lang="en")),
    ("transféré K7QX2P dnds", Command("transfer", R, "dnds")),
    ("Détails K7QX2P", Command("info", R)),
    ("Accepted K7QX2P", Command("accept", R, lang="en")),
    # Written as a sentence (they got the command help and nothing happened).
    ("j'accepte K7QX2P", Command("accept", R, lang="fr")),
    ("J accepte k7qx2p", Command("accept", R, lang="fr")),
    ("D'accord K7QX2P", Command("accept", R, lang="fr")),
    ("je refuse K7QX2P trop loin", Command("reject", R, "trop loin", "trop loin")),
    ("J'ai fermé K7QX2P réunifié", Command("close", R, "reunified", "réunifié")),
    ("I accept K7QX2P", Command("accept", R, lang="en")),
    ("Ouais K7QX2P", Command("accept", R, lang="fr")),
    ("d'accord", ParseError("missing_reference", "fr", "accept")),
    ("je signale un enfant", ParseError("unknown_command", "fr")),  # perhaps an alert
    ("je je je ok K7QX2P", ParseError("unknown_command", "fr")),
    # The help's "OK REF" copied as written, and other words before the reference
    # (they were answered "Référence REF inconnue").
    ("OK REF K7QX2P", Command("accept", R)),
    ("ok réf: k7qx-2p", Command("accept", R)),
    ("OK cas n° K7QX2P", Command("accept", R)),
    ("j'ai accepté le K7QX2P", Command("accept", R, lang="fr")),
    ("FIN REF K7QX2P réunifié", Command("close", R, "reunified", "réunifié")),
    ("OK REF", ParseError("missing_reference", "fr", "accept")),
    ("OK REF K7QX", ParseError("bad_reference", "fr", "accept", "K7QX")),
    ("OK cas 7xy", Command("accept", "CAS7XY")),  # a reference starting like those words
    # The reference left out, words in its place ("Référence PAS inconnue").
    ("FIN réunifié", ParseError("missing_reference", "fr", "close")),
    ("NON pas notre zone", ParseError("missing_reference", "fr", "reject")),
    ("Non merci", ParseError("missing_reference", "fr", "reject")),
    ("ok k7qx", ParseError("bad_reference", "fr", "accept", "k7qx")),  # a reference, short
    ("liste", Command("list")),
    ("LIST", Command("list", lang="en")),
    ("aide", Command("help")),
    ("HELP", Command("help", lang="en")),
    ("?", Command("help")),
    ("info", ParseError("missing_reference", "fr", "info")),
    ("OK", ParseError("missing_reference", "fr", "accept")),
    ("blah", ParseError("unknown_command", "fr")),
    ("", ParseError("unknown_command", "fr")),
    ("K7QX2P OK", ParseError("unknown_command", "fr")),
    ("ok K7QXOP", ParseError("bad_reference", "fr", "accept", "K7QXOP")),  # no O in alphabet
    ("ok k7qx10", ParseError("bad_reference", "fr", "accept", "k7qx10")),
    ("NON K7QX pas notre zone", ParseError("bad_reference", "fr", "reject", "K7QX")),
    ("note K7QX2P", ParseError("missing_argument", "fr", "note", reference="K7QX2P")),
    ("note K7QX2P  ...  ", ParseError("missing_argument", "fr", "note", reference="K7QX2P")),
    ("transfer K7QX2P", ParseError("missing_argument", "en", "transfer", reference="K7QX2P")),
    ("fin K7QX2P", ParseError("missing_argument", "fr", "close", reference="K7QX2P")),
    (
        "FIN K7QX2P 1",
        ParseError("missing_argument", "fr", "close", reference="K7QX2P"),
    ),  # no outcome numbers
    ("FIN K7QX2P 2 enfants réunifiés", Command("close", R, "reunified", "2 enfants réunifiés")),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_what_people_type(text: str, expected: Command | ParseError) -> None:
    assert parse_command(text) == expected


def test_default_language_decides_only_for_ambiguous_keywords() -> None:
    assert parse_command("ok k7qx2p", default_lang="en") == Command("accept", R, lang="en")
    assert parse_command("oui k7qx2p", default_lang="en") == Command("accept", R, lang="fr")
    assert parse_command("blah", default_lang="en") == ParseError("unknown_command", "en")
    assert parse_command("blah", default_lang="bm") == ParseError("unknown_command", "fr")


def test_draft_bambara_keywords() -> None:
    assert parse_command("awɔ K7QX2P") == Command("accept", R)
    assert parse_command("Ayi K7QX2P") == Command("reject", R)
    assert parse_command("ɔwɔ K7QX2P") == Command("accept", R)
    assert parse_command("dɛmɛ") == Command("help")


@pytest.mark.parametrize(
    ("words", "outcome"),
    [
        ("réunifié avec sa mère", "reunified"),
        ("Famille retrouvée", "reunified"),
        ("reunited", "reunified"),
        ("placé en famille d'accueil", "placed_in_care"),
        ("placement", "placed_in_care"),
        ("foster family", "placed_in_care"),
        ("orienté vers le CSCOM", "referred_to_services"),
        ("référé aux services sociaux", "referred_to_services"),
        ("referred to services", "referred_to_services"),
        ("introuvable", "not_found"),
        ("enfant non trouvé", "not_found"),
        ("famille non retrouvée", "not_found"),
        ("NOT FOUND", "not_found"),
        ("fausse alerte", "false_alarm"),
        ("False alarm", "false_alarm"),
        ("parti", "other"),
        ("non placé", "other"),  # a negated outcome is no outcome
        ("not reunited", "other"),
        ("pas réunifié, placé en foyer", "placed_in_care"),
        ("réunifié, pas de placement", "reunified"),  # "de" between: still negated
        ("réunifié sans placement", "reunified"),
        ("reunited, no placement", "reunified"),
        ("aucun placement", "other"),
        # Everyday words for a child back with family (they closed as "autre").
        ("réuni avec ses parents", "reunified"),
        ("Réunie avec sa mère", "reunified"),
        ("remis à sa famille", "reunified"),
        ("retourné en famille", "reunified"),
        ("rentré chez ses parents", "reunified"),
        ("back with his family", "reunified"),
        ("réunion avec le RECOPE", "other"),  # a meeting, no outcome
        ("retourné chez le marabout", "other"),
        ("pas rentré chez lui", "other"),
        ("remis à sa famille d'accueil", "placed_in_care"),
        ("enfant non-trouvé", "not_found"),
        # A negation a few words before still negates (they closed with the
        # very outcome they denied), and "sur place" is a place, no placement.
        ("pas encore réunifié", "other"),
        ("n'a pas été réunifié", "other"),
        ("not yet reunited", "other"),
        ("n'a pas pu être placé", "other"),
        ("pas encore retourné en famille", "other"),
        ("ce n'est pas une fausse alerte, placé en foyer", "placed_in_care"),
        ("suivi sur place, réunifié avec sa mère", "reunified"),
        ("il a été placé", "placed_in_care"),
        # A word right after the outcome that undoes it (they closed with the
        # outcome that did not happen).
        ("placement refusé par la famille", "other"),
        ("réunification impossible pour le moment", "other"),
        ("orientation échouée", "other"),
        ("placement refusé, réunifié avec son oncle", "reunified"),
        ("reunification failed", "other"),
    ],
)
def test_outcomes(words: str, outcome: str) -> None:
    assert normalise_outcome(words) == outcome
    command = parse_command(f"FIN {R} {words}")
    assert isinstance(command, Command)
    assert (command.argument, command.raw_note) == (outcome, words)


def test_outcome_codes_are_the_documented_ones() -> None:
    assert set(OUTCOMES) == {
        "reunified",
        "placed_in_care",
        "referred_to_services",
        "not_found",
        "false_alarm",
        "other",
    }


def test_command_is_frozen() -> None:
    command = Command("accept", R)
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.action = "reject"  # type: ignore[misc]


REFERENCES = st.text(alphabet=ALPHABET, min_size=6, max_size=6)


@given(st.text(max_size=300))
def test_any_text_never_crashes(text: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Command | ParseError)
    if isinstance(result, Command) and result.reference is not None:
        assert len(result.reference) == 6
        assert set(result.reference) <= set(ALPHABET)
    if isinstance(result, ParseError):
        assert result.lang in ("fr", "en")


@given(
    REFERENCES,
    st.sampled_from(["ok", "OK", "Oui", "accept", "ACCEPTE"]),
    st.sampled_from([" ", "  ", ": ", " - ", "\n"]),
    st.sampled_from(["{}", "{}.", "{}!"]),
    st.integers(min_value=0, max_value=6),
    st.sampled_from(["", " ", "-", "."]),
    st.booleans(),
)
def test_any_reference_typed_sloppily_is_recognised(
    reference: str,
    keyword: str,
    gap: str,
    shape: str,
    cut: int,
    separator: str,
    lower: bool,
) -> None:
    typed = reference[:cut] + separator + reference[cut:]
    typed = typed.lower() if lower else typed
    result = parse_command(keyword + gap + shape.format(typed))
    assert result == Command("accept", reference, lang=result.lang)


@given(REFERENCES, st.text(max_size=100))
def test_reject_reason_is_any_text_after_the_reference(reference: str, reason: str) -> None:
    result = parse_command(f"NON {reference} {reason}")
    assert isinstance(result, Command)
    assert result.action == "reject"
    assert result.reference == reference
    if any(c.isalnum() for c in reason):
        assert result.argument is not None
        assert result.argument in " ".join(reason.split())
        assert result.argument == result.raw_note
    else:
        assert result.argument is None


def test_agency_candidates_skip_fillers_and_join_words() -> None:
    assert agency_candidates("a", "l'agence DNPEF") == ["dnpef"]
    assert agency_candidates("samu", "social")[:3] == ["samusocial", "samu-social", "samu_social"]
    assert agency_candidates("vers", "dnds")[-1] == "dnds"
    assert agency_candidates("dnpef", None) == ["dnpef"]
