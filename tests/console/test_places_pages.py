"""The console's places editor: validation, saving a version, refusals, access, audit."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from gateway import runtime
from gateway.models import PlacesVersion
from gateway.referrals import store
from gateway.referrals.places import DEFAULT_PLACES
from tests.console.conftest import audit_actions, csrf_token

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bamako-directory.yaml"
SHIPPED = DEFAULT_PLACES.read_text(encoding="utf-8")
LAST_C5 = (
    "              - {code: ML-BKO-C5-TOROKOROBOUGOU, kind: neighbourhood, name: Torokorobougou}\n"
)
NEW_CODE = "ML-BKO-C5-NOUVEAU"
WITH_NEW = SHIPPED.replace(
    LAST_C5, LAST_C5 + f"              - {{code: {NEW_CODE}, kind: neighbourhood, name: Nouveau}}\n"
)
PATH = "/console/directory/places/edit"
EN = {"Accept-Language": "en"}
Client = Callable[[str], FlaskClient]


@pytest.fixture
def loaded(app: Flask) -> None:
    """The demo directory in force."""
    store.load_file(runtime.current().db, EXAMPLE)


def body(response: TestResponse) -> str:
    """A response's text, entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def post(client: FlaskClient, **form: str) -> TestResponse:
    """POST ``form`` to the places editor (with a CSRF token), asking for English."""
    token = csrf_token(client, "/console/")
    return client.post(PATH, data={"csrf_token": token, **form}, headers=EN)


def versions() -> list[int]:
    """The ids of every stored places version."""
    with runtime.current().db.session() as session:
        return list(session.scalars(select(PlacesVersion.id).order_by(PlacesVersion.id)))


def test_the_directory_page_links_to_the_editor_for_admins_only(
    client_as: Client, loaded: None
) -> None:
    assert PATH in client_as("admin").get("/console/directory").get_data(as_text=True)
    assert PATH not in client_as("coordinator").get("/console/directory").get_data(as_text=True)


def test_the_editor_shows_the_places_in_force(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    assert "ML-BKO-C5-TOROKOROBOUGOU" in body(client.get(PATH))
    assert post(client, action="save", document=WITH_NEW).status_code == 200
    assert NEW_CODE in body(client.get(PATH))


@pytest.mark.parametrize("role", ["coordinator", "agency", "trainer"])
def test_only_admins_edit_places(client_as: Client, loaded: None, role: str) -> None:
    client = client_as(role)
    assert client.get(PATH).status_code == 403
    assert post(client, action="save", document=WITH_NEW).status_code == 403
    assert versions() == []


def test_validate_lists_problems_by_line_and_saves_nothing(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    bad = WITH_NEW.replace(f"code: {NEW_CODE}", "code: ML-BKO-C6-WRONG")
    line = next(n for n, x in enumerate(bad.splitlines(), 1) if "C6-WRONG" in x)
    response = post(client, action="validate", document=bad)
    assert response.status_code == 422
    assert f"line {line}: code ML-BKO-C6-WRONG must start with ML-BKO-C5-" in body(response)
    good = post(client, action="validate", document=WITH_NEW)
    assert good.status_code == 200
    assert "No problem found" in body(good)
    assert versions() == []


def test_save_creates_a_version_used_by_routing_and_is_audited(
    client_as: Client, loaded: None
) -> None:
    client = client_as("admin")
    response = post(client, action="save", document=WITH_NEW)
    assert response.status_code == 200
    assert f"added place {NEW_CODE} (Nouveau)" in body(response)
    [version] = versions()
    route = client.get(
        "/console/directory/route",
        query_string={"concern": "other", "place": NEW_CODE, "risk": "high", "at": ""},
        headers=EN,
    )
    assert route.status_code == 200
    assert "high-risk-bamako" in body(route)
    assert ("admin1", "places.edit", str(version), f"version {version}, 1 change(s)") in (
        audit_actions()
    )
    history = body(client_as("agency").get("/console/directory/history", headers=EN))
    places = history[history.index("Place list versions") :]
    assert f"Version {version}" in places and f"added place {NEW_CODE} (Nouveau)" in places
    again = post(client, action="save", document=WITH_NEW, base_version=str(version))
    assert again.status_code == 200
    assert "Nothing was saved" in body(again)
    assert versions() == [version]
    assert [a for a in audit_actions() if a[1] == "places.edit"] == [
        ("admin1", "places.edit", str(version), f"version {version}, 1 change(s)")
    ]


def test_a_save_over_someone_elses_newer_version_is_refused(
    client_as: Client, loaded: None
) -> None:
    first, second = client_as("admin"), client_as("admin")
    page = body(first.get(PATH, headers=EN))
    assert 'name="base_version" value=""' in page  # the shipped file is in force
    assert post(first, action="save", document=WITH_NEW, base_version="").status_code == 200
    [version] = versions()
    # The second admin opened the page before the first one saved.
    stale = post(second, action="save", document=SHIPPED + "\n", base_version="")
    assert stale.status_code == 409
    assert f"now version {version}" in body(stale) and versions() == [version]
    assert f'name="base_version" value="{version}"' in body(stale)  # saving again is possible
    assert "Nouveau" in body(second.get(PATH, headers=EN))  # the other save stands


@pytest.mark.parametrize("action", ["validate", "save"])
def test_removing_a_place_the_directory_uses_is_refused(
    client_as: Client, loaded: None, action: str
) -> None:
    client = client_as("admin")
    response = post(client, action=action, document=SHIPPED.replace("ML-BKO-C1", "ML-BKO-C7"))
    assert response.status_code == 422
    text = body(response)
    assert "line 1: place ML-BKO-C1 is used by the directory in force" in text
    assert "rule separated-dnds-north" in text
    assert versions() == []
    assert not [a for a in audit_actions() if a[1] == "places.edit"]


def test_an_empty_text_or_a_bad_action_is_refused(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    assert post(client, action="save", document="  ").status_code == 422
    assert post(client, action="other", document=WITH_NEW).status_code == 400
    assert versions() == []
