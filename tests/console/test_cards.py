"""Printable cards (gateway.console.cards): every example is one Relais understands."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway import runtime
from gateway.console import cards
from gateway.flows.keywords import HELP, STATUS, STOP, detect_keyword
from gateway.flows.oneshot import parse_oneshot
from gateway.flows.reference import ALPHABET
from gateway.referrals.commands import LIST, Command, parse_command
from gateway.referrals.outcomes import OUTCOMES, fold, normalise_outcome
from tests.console.case_helpers import token

Client = Callable[[str], FlaskClient]
PATH = "/console/cards"


def in_english(client: FlaskClient) -> None:
    data = {"csrf_token": token(client, PATH), "lang": "en", "next": PATH}
    assert client.post("/console/language", data=data).status_code == 302


@pytest.mark.parametrize("role", ["admin", "coordinator", "agency", "trainer"])
def test_every_role_opens_the_cards_from_the_menu(client_as: Client, role: str) -> None:
    client = client_as(role)
    assert 'href="/console/cards"' in client.get("/console/").get_data(as_text=True)
    page = html.unescape(client.get(PATH).get_data(as_text=True))
    assert "OK K7QX2P" in page and "FIN K7QX2P réunifié" in page and "LISTE" in page
    assert "ALERTE ENA F 12 C5 Marche Medine" in page
    assert "Fiches à imprimer" in page and "Point focal : répondre" in page


def test_signed_out_visitors_are_sent_to_the_login(client: FlaskClient) -> None:
    response = client.get(PATH)
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_the_cards_follow_the_console_language(client_as: Client) -> None:
    client = client_as("trainer")
    in_english(client)
    page = html.unescape(client.get(PATH).get_data(as_text=True))
    assert "CLOSE K7QX2P reunified" in page and "NO K7QX2P not our area" in page
    assert "STATUS K7QX2P" in page and "FIN K7QX2P" not in page


def test_without_a_relais_number_the_card_has_lines_to_fill_in(client_as: Client) -> None:
    page = client_as("coordinator").get(PATH).get_data(as_text=True)
    assert page.count('class="fill-in"') == 2  # the sandbox sends from no number
    assert "65 12 34 56" not in page  # TWILIO_FROM is not what reporters text


@pytest.mark.parametrize(
    ("settings", "shown"),
    [
        ({"SMS_PROVIDER": "twilio"}, "65 12 34 56"),  # TWILIO_FROM, as dialled in Mali
        ({"REPORT_SMS_NUMBER": "+22376000102"}, "76 00 01 02"),
        ({"REPORT_SMS_NUMBER": "36123", "SMS_PROVIDER": "twilio"}, "36123"),  # a short code
    ],
)
def test_the_card_gives_the_number_reporters_text(
    client_as: Client, settings: dict[str, str], shown: str
) -> None:
    client = client_as("agency")
    for name, value in settings.items():
        setattr(runtime.current().settings, name, value)
    runtime.current().settings.REPORT_USSD_CODE = "*384*123#"
    page = client.get(PATH).get_data(as_text=True)
    assert f"<strong>{shown}</strong>" in page and "<strong>*384*123#</strong>" in page
    assert 'class="fill-in"' not in page


def test_the_example_reference_is_one_relais_can_issue() -> None:
    assert len(cards.EXAMPLE_REFERENCE) == 6
    assert set(cards.EXAMPLE_REFERENCE) <= set(ALPHABET)


@pytest.mark.parametrize("line", cards.FOCAL_COMMANDS, ids=lambda line: line.action)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_focal_point_example_is_the_command_it_describes(
    line: cards.CommandLine, lang: str
) -> None:
    command = parse_command(line.words[lang], default_lang=lang)
    assert isinstance(command, Command), line.words[lang]
    assert command.action == line.action
    assert command.reference == (None if line.action == LIST else cards.EXAMPLE_REFERENCE)
    assert command.lang == lang  # the card's words never switch the answers' language


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_outcome_word_closes_with_its_outcome(lang: str) -> None:
    assert set(cards.OUTCOME_WORDS) == set(OUTCOMES) - {"other"}
    for outcome, words in cards.OUTCOME_WORDS.items():
        assert normalise_outcome(words[lang]) == outcome, words[lang]
        keyword = "FIN" if lang == "fr" else "CLOSE"
        command = parse_command(f"{keyword} {cards.EXAMPLE_REFERENCE} {words[lang]}")
        assert isinstance(command, Command) and command.argument == outcome


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_reporter_keyword_is_the_keyword_it_describes(app: Flask, lang: str) -> None:
    lexicon = runtime.current().dispatch.alert_flow.lexicon
    found = [detect_keyword(word, lexicon) for word, _meaning in cards.REPORTER_KEYWORDS[lang]]
    assert [k.name if k else None for k in found] == [HELP, STATUS, STOP]


def test_each_one_shot_example_and_code_is_read(app: Flask) -> None:
    dispatch = runtime.current().dispatch
    for example in cards.ONESHOT_EXAMPLES:
        parsed = parse_oneshot(example, dispatch.alert_flow, dispatch.oneshot)
        assert parsed.complete, (example, parsed.missing)
    concerns = {code: dispatch.oneshot.concerns.get(fold(code)) for code, _ in cards.CONCERN_CODES}
    assert concerns == {
        "ENA": "separated",
        "DEP": "displaced",
        "ABUS": "abuse",
        "EXP": "exploitation",
        "RUE": "street",
        "AUT": "other",
    }
    sexes = {code: dispatch.oneshot.sexes.get(fold(code)) for code, _ in cards.SEX_CODES}
    assert sexes == {"F": "girl", "G": "boy", "FG": "both", "X": "unknown"}
