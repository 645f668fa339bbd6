"""Select boxes show words (agencies' names, translated labels) and send the codes."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from tests.console.case_helpers import load_directory, make_case
from tests.console.test_case_actions import act, follow

Client = Callable[[str], FlaskClient]


def options(page: str, select_id: str) -> dict[str, str]:
    """``{value: shown text}`` of the select ``select_id`` on ``page``."""
    found = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert found, f"no select {select_id}"
    pairs = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(0))
    return {value: text.replace("&#39;", "'") for value, text in pairs}


def test_the_case_page_selects_show_names(app: object, client_as: Client) -> None:
    load_directory()
    reference = make_case()
    client = client_as("coordinator")
    page = follow(client, act(client, reference, "accept"))
    transfer = options(page, "a-agency")
    assert "iom" not in transfer  # the case's own agency
    assert transfer["dnds"] == "DNDS -- Direction nationale du développement social"
    assert transfer["samusocial"] == "Samu Social Mali"
    assert options(page, "a-outcome")["reunified"] == "Réunifié avec la famille"
    assert options(page, "a-person")["iom-bko-bm"].endswith("(iom-bko-bm)")
    assert options(page, "a-person")["iom-bko-bm"].startswith("Agent protection OIM")


def test_the_cases_filters_show_names(app: object, client_as: Client) -> None:
    load_directory()
    page = client_as("coordinator").get("/console/cases").get_data(as_text=True)
    agencies = options(page, "f-agency")
    assert agencies["unicef"] == "UNICEF Mali" and agencies[""] == "Tous"
    # The words of the reports too (they read "Enfant des rues" here, another thing there).
    assert options(page, "f-concern")["street"] == "Vivant ou travaillant dans la rue"
    assert options(page, "f-concern")["separated"] == "Séparé ou non accompagné"
    assert options(page, "f-risk")["high"] == "Élevé"
    assert options(page, "f-status")["accepted"] == "accepté"


def test_the_account_form_shows_agency_and_language_names(app: object, client_as: Client) -> None:
    load_directory()
    page = client_as("admin").get("/console/users").get_data(as_text=True)
    assert options(page, "u-agency")["dnpef"].startswith("DNPEF -- Direction nationale")
    assert options(page, "u-lang")["en"] == "English"
    assert options(page, "u-lang")["fr"] == "Français"
