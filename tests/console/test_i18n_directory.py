"""The Directory pages in French: problems, change lines, durations, test routing.

The loaders, the change lines and ``relais route`` write English (the CLI and
the logs read them); the console shows them in the user's language
(:mod:`gateway.console.phrases`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from werkzeug.test import TestResponse

from gateway import runtime
from gateway.console.phrases import translate
from gateway.console.phrases_directory import CHANGES, PROBLEMS
from gateway.referrals import store
from tests.console.conftest import csrf_token
from tests.console.test_directory_pages import TEXT, cli_route, line_of, loaded
from tests.console.test_places_pages import PATH as PLACES_PATH
from tests.console.test_places_pages import WITH_NEW

Client = Callable[[str], FlaskClient]
FR = {"Accept-Language": "fr"}
__all__ = ["loaded"]  # the fixture


def text_of(response: TestResponse) -> str:
    """A response's text, entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def post_fr(client: FlaskClient, path: str, **form: str) -> TestResponse:
    """POST ``form`` (with a CSRF token), asking for French pages."""
    token = csrf_token(client, "/console/")
    return client.post(path, data={"csrf_token": token, **form}, headers=FR)


def test_directory_problems_in_french(client_as: Client, loaded: None) -> None:
    broken = TEXT.replace('phone: "+22365000201"', 'phone: "+2231"')
    broken = broken.replace("fallback_agency: dnds", "fallback_agency: nobody")
    response = post_fr(client_as("admin"), "/console/directory/edit", action="validate",
                       document=broken)  # fmt: skip
    text = text_of(response)
    assert response.status_code == 422
    phone = line_of(broken, "+2231")
    assert f"ligne {phone} : numéro de téléphone invalide pour dnds-c1-c3" in text
    fallback = line_of(broken, "fallback_agency: nobody")
    assert f"ligne {fallback} : agence de repli inconnue 'nobody'" in text
    assert "invalid phone number" not in text and "unknown fallback agency" not in text


def test_schema_problems_in_french(client_as: Client, loaded: None) -> None:
    broken = TEXT.replace("fallback_agency: dnds", "extra: 1")
    response = post_fr(client_as("admin"), "/console/directory/edit", action="validate",
                       document=broken)  # fmt: skip
    text = text_of(response)
    assert "(racine) : 'fallback_agency' est obligatoire" in text
    assert "(racine) : clé inattendue 'extra'" in text
    assert "required property" not in text


def test_history_change_lines_in_french(client_as: Client, loaded: None) -> None:
    changed = TEXT.replace("  high: 15m\n  medium: 4h", "  high: 20m\n  medium: 4h", 1)
    store.load_text(runtime.current().db, changed, "console", loaded_by="admin1")
    text = text_of(client_as("agency").get("/console/directory/history", headers=FR))
    assert "escalade high : 15 min → 20 min" in text
    assert "agence ajoutée : iom" in text and "agency added" not in text


def test_directory_durations_in_french(client_as: Client, loaded: None) -> None:
    text = text_of(client_as("agency").get("/console/directory", headers=FR))
    assert "élevé 10 min · moyen 1 h · faible 1 j · rappel 3 j" in text
    assert "10m" not in text


def test_route_decision_in_french(app: Flask, client_as: Client, loaded: None) -> None:
    query = {"concern": "abuse", "place": "ML-5", "risk": "low", "at": "2025-01-18T03:00"}
    response = client_as("agency").get("/console/directory/route", query_string=query, headers=FR)
    found = re.search(r"<pre[^>]*>(.*?)</pre>", response.get_data(as_text=True), re.S)
    assert found
    shown = html.unescape(found.group(1))
    english = cli_route(app, [f"--{name}={value}" for name, value in query.items()])
    assert len(shown.splitlines()) == len(english.splitlines())  # line for line
    assert "is not in [" in english and "absent de [" in shown
    assert "Règles, dans l'ordre :" in shown and "Choisi : " in shown and "Rappel si" in shown
    for words in ("is not in", "matched", "Notify, in order", "Reminder", "speaks", "Chosen"):
        assert words not in shown, words
    assert "(numéros masqués)" in text_of(response)


def test_places_problems_in_french(client_as: Client, loaded: None) -> None:
    bad = WITH_NEW.replace("code: ML-BKO-C5-NOUVEAU", "code: ML-BKO-C6-WRONG")
    response = post_fr(client_as("admin"), PLACES_PATH, action="validate", document=bad)
    assert "le code ML-BKO-C6-WRONG doit commencer par ML-BKO-C5-" in text_of(response)


def test_unknown_sentences_are_shown_as_they_are(app: Flask) -> None:
    with app.test_request_context(), force_locale("fr"):
        assert translate("a note written by a person", CHANGES) == "a note written by a person"
        assert (
            translate("duplicate rule id 'r1'", PROBLEMS) == "identifiant de règle en double 'r1'"
        )
        # A duration is translated inside a sentence, never as a whole text
        # (a person's note "10m" means ten metres).
        assert translate("escalation high: 15m → 90d", CHANGES) == "escalade high : 15 min → 90 j"
        assert translate("90d", CHANGES) == "90d"
    with app.test_request_context(), force_locale("en"):
        assert translate("duplicate rule id 'r1'", PROBLEMS) == "duplicate rule id 'r1'"
        assert translate("90d", CHANGES) == "90d"
