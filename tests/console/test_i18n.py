"""French (default) and English: Accept-Language, the switch, preferences, catalogs."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from gateway.models import User
from tests.console.conftest import csrf_token, get_user, login

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "gateway" / "translations"
FRENCH = "Connexion à Relais"
ENGLISH = "Sign in to Relais"


def page(client: FlaskClient, path: str = "/console/login", **headers: str) -> str:
    """The text of ``path``."""
    return client.get(path, headers=headers).get_data(as_text=True)


def test_french_by_default(client: FlaskClient) -> None:
    text = page(client)
    assert FRENCH in text and '<html lang="fr">' in text and "Mot de passe" in text


@pytest.mark.parametrize(
    ("header", "expected"),
    [("en", ENGLISH), ("en-US,en;q=0.9", ENGLISH), ("fr-ML", FRENCH), ("de, es", FRENCH)],
)
def test_accept_language(client: FlaskClient, header: str, expected: str) -> None:
    assert expected in page(client, **{"Accept-Language": header})


def test_switch_language_with_the_form(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/console/language", data={"csrf_token": token, "lang": "en", "next": "/console/login"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/console/login"
    text = page(client, **{"Accept-Language": "fr"})
    assert ENGLISH in text and '<html lang="en">' in text
    # The switch offers the other language, labelled in that language.
    assert 'lang="fr"' in text and "Français" in text


def test_switch_refuses_unknown_language_and_foreign_next(client: FlaskClient) -> None:
    token = csrf_token(client)
    bad = client.post("/console/language", data={"csrf_token": token, "lang": "xx"})
    assert bad.status_code == 400
    away = client.post(
        "/console/language",
        data={"csrf_token": token, "lang": "en", "next": "https://evil.example/"},
    )
    assert away.headers["Location"] == "/console/"


def test_user_preference_wins_and_is_saved(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator", language="en")
    login(client, "awa")
    assert "Welcome, awa" in page(client, "/console/", **{"Accept-Language": "fr"})
    token = csrf_token(client, "/console/")
    client.post("/console/language", data={"csrf_token": token, "lang": "fr", "next": "/console/"})
    assert "Bienvenue, awa" in page(client, "/console/", **{"Accept-Language": "en"})
    assert get_user("awa").language == "fr"


def _extracted() -> set[str]:
    """Every msgid babel.cfg extracts from the code and templates."""
    method_map = [("gateway/**.py", "python"), ("gateway/**/templates/**.html", "jinja2")]
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=method_map,
        keywords={
            "_": None,
            "gettext": None,
            "lazy_gettext": None,
            "_l": None,
            "ngettext": (1, 2),
        },
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_babel_cfg_matches_what_the_test_extracts() -> None:
    config = (ROOT / "babel.cfg").read_text(encoding="utf-8")
    assert "[python: gateway/**.py]" in config
    assert "[jinja2: gateway/**/templates/**.html]" in config


def _singular(message_id: str | Sequence[str]) -> str:
    """A message's key: its text, or its singular for a plural message."""
    return message_id if isinstance(message_id, str) else message_id[0]


def _forms(string: str | Sequence[str]) -> str | tuple[str, ...]:
    """A translation, its plural forms as a tuple (lists and tuples alike)."""
    return string if isinstance(string, str) else tuple(string)


def _complete(message: Message) -> bool:
    """Translated, every plural form included."""
    return bool(message.string) and all(_forms(message.string))


def test_french_catalog_is_complete_and_compiled() -> None:
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        po = read_po(f, locale="fr")
    translated = {
        _singular(m.id): _forms(m.string) for m in po if m.id and _complete(m) and not m.fuzzy
    }
    extracted = _extracted()
    assert {ENGLISH, "Cases", "Sign out"} <= extracted  # the extraction itself works
    missing = sorted(extracted - set(translated))
    assert missing == [], "run the extract/update/compile commands in README (Console and users)"
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        mo = read_mo(io.BytesIO(f.read()))
    compiled = {_singular(m.id): _forms(m.string) for m in mo if m.id}
    assert compiled == translated, "messages.mo is stale: run pybabel compile"


def test_english_catalog_exists() -> None:
    for name in ("messages.po", "messages.mo"):
        assert (TRANSLATIONS / "en" / "LC_MESSAGES" / name).is_file()


@pytest.mark.parametrize(
    ("shown_at", "back_to"),
    [
        ("/console/cases/K7QX2P/reveal", "/console/cases/K7QX2P"),  # after "show the number"
        ("/console/cases/K7QX2P/act/reply", "/console/cases/K7QX2P"),  # after a reply preview
        ("/console/messages?status=failed", "/console/messages?status=failed"),
        ("/console/nowhere/at/all", "/console/"),
    ],
)
def test_switching_language_after_a_form_goes_back_to_a_page(
    client: FlaskClient, shown_at: str, back_to: str
) -> None:
    """The switch went back to the form's POST address: a 405, the case lost from view."""
    token = csrf_token(client)
    response = client.post(
        "/console/language", data={"csrf_token": token, "lang": "en", "next": shown_at}
    )
    assert response.headers["Location"] == back_to
