"""Odd input on console pages: a clear 4xx or the page with nothing filtered, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.console.case_helpers import load_directory, make_case, post

Client = Callable[[str], FlaskClient]


@pytest.mark.parametrize(
    "path",
    [
        "/console/cases?date_to=9999-12-31",
        "/console/cases?date_from=0001-01-01&date_to=9999-12-31",
        "/console/cases/export.csv?date_to=9999-12-31",
        "/console/messages?date_to=9999-12-31",
        "/console/messages?before=%C2%B2",
        "/console/reports?to=9999-12-31",
        "/console/reports?to=0001-01-01",
        "/console/reports?from=0001-01-01&to=0001-01-02",
    ],
)
def test_far_dates_and_odd_digits_are_ignored(app: object, client_as: Client, path: str) -> None:
    load_directory()
    make_case()
    response = client_as("admin").get(path)
    assert response.status_code == 200, response.status_code


@pytest.mark.parametrize(
    "path",
    ["/console/cases?agency=%00", "/console/cases/%00", "/console/messages?status=a%00"],
)
def test_a_nul_character_is_a_bad_request(app: object, client_as: Client, path: str) -> None:
    """PostgreSQL refuses NUL in text: without the guard these were 500s there."""
    assert client_as("admin").get(path).status_code == 400


def test_a_nul_character_in_a_form_is_a_bad_request(
    app: object, client_as: Client, client: FlaskClient
) -> None:
    load_directory()
    reference = make_case()
    admin = client_as("admin")
    page = f"/console/cases/{reference}"
    response = post(admin, f"{page}/act/assign", {"focal_point": "a\x00"}, page=page)
    assert response.status_code == 400
    login = client.post("/console/login", data={"username": "bo\x00ss", "password": "x"})
    assert login.status_code == 400


def test_the_directory_editor_reports_deep_nesting_and_odd_versions(
    app: object, client_as: Client
) -> None:
    load_directory()
    admin = client_as("admin")
    deep = post(
        admin,
        "/console/directory/edit",
        {"action": "validate", "document": "[" * 5000 + "]" * 5000},
        page="/console/directory/edit",
    )
    assert deep.status_code == 422 and "nested too deeply" in deep.get_data(as_text=True)
    odd = post(
        admin,
        "/console/directory/edit",
        {"action": "save", "document": "version: 1\n", "base_version": "\u00b2"},
        page="/console/directory/edit",
    )
    assert odd.status_code == 422
