"""The CSV export: pseudonymised unless ``export.personal``, scoped, filtered, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway import phones
from gateway.console import export
from tests.console.case_helpers import REPORTER, audit_rows, load_directory, make_case

Client = Callable[[str], FlaskClient]
PATH = "/console/cases/export.csv"


@pytest.fixture
def cases(app: Flask) -> dict[str, str]:
    """An IOM and a DNPEF case."""
    load_directory()
    return {
        "iom": make_case(landmark="=HYPERLINK(1)"),
        "dnpef": make_case(concern="abuse", phone="+22376000111", details="Derrière la gare"),
    }


def rows(client: FlaskClient, query: str = "") -> list[dict[str, str]]:
    """The export with machine codes (``codes=1``), as dicts by column code."""
    response = client.get(PATH + query + ("&" if query else "?") + "codes=1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads the accents as UTF-8
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def test_pseudonymised_for_a_coordinator(cases: dict[str, str], client_as: Client) -> None:
    client = client_as("coordinator")
    response = client.get(PATH)
    body = response.get_data(as_text=True)
    for secret in (*cases.values(), "HYPERLINK", "gare", REPORTER, "76123445", "76 12 34 45"):
        assert secret not in body
    table = rows(client)
    assert len(table) == 2
    assert {r["agency"] for r in table} == {"iom", "dnpef"}
    assert all(len(r["case"]) == 16 for r in table)
    assert all(len(r["created_day"]) == 10 for r in table)  # the day only
    assert "landmark" not in table[0] and "reference" not in table[0]
    assert rows(client) == table  # the same pseudonyms every time


def test_personal_for_an_admin(cases: dict[str, str], client_as: Client) -> None:
    table = rows(client_as("admin"))
    by_ref = {r["reference"]: r for r in table}
    assert set(by_ref) == set(cases.values())
    iom = by_ref[cases["iom"]]
    assert iom["landmark"] == "'=HYPERLINK(1)"  # never run as a formula
    # Consented to a call back; written as dialled in Mali, which Excel keeps
    # as text (E.164 became 2.2376E+10).
    assert iom["reporter_number"] == phones.for_spreadsheet(REPORTER) == "76 12 34 45"
    assert by_ref[cases["dnpef"]]["details"] == "Derrière la gare"
    assert "T" in iom["created_at"]


def test_agency_users_export_their_agency_only(cases: dict[str, str], client_as: Client) -> None:
    table = rows(client_as("agency"))
    assert [r["agency"] for r in table] == ["iom"]
    assert rows(client_as("agency"), "?agency=dnpef") == []
    assert client_as("trainer").get(PATH).status_code == 403


def test_filters_apply_and_every_export_is_audited(
    cases: dict[str, str], client_as: Client
) -> None:
    client = client_as("coordinator")
    assert [r["concern"] for r in rows(client, "?concern=abuse")] == ["abuse"]
    rows(client_as("admin"))
    exports = audit_rows("case.export")
    assert [(e.actor, e.target_id) for e in exports] == [
        ("coordinator1", "pseudonymised"),
        ("admin1", "personal"),
    ]
    assert exports[0].detail == "pseudonymised; 1 row(s); concern=abuse"
    assert exports[1].detail == "personal; 2 row(s); no filter"


def test_the_list_links_to_the_export_with_its_filters(
    cases: dict[str, str], client_as: Client
) -> None:
    page = client_as("coordinator").get("/console/cases?risk=high").get_data(as_text=True)
    assert 'href="/console/cases/export.csv?risk=high"' in page


def test_an_export_over_the_limit_says_it_was_cut(
    cases: dict[str, str], client_as: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "MAX_ROWS", 1)
    table = rows(client_as("coordinator"))
    assert len(table) == 2
    assert table[-1]["case"].startswith("TRUNCATED: more than 1 cases")


def test_personal_export_has_no_number_without_callback_consent(
    app: Flask, client_as: Client
) -> None:
    load_directory()
    silent = make_case(callback=False, phone="+22376000222")
    client = client_as("admin")
    (row,) = rows(client)
    assert (row["reference"], row["consent_callback"]) == (silent, "no")
    assert row["reporter_number"] == ""
    assert "76000222" not in client.get(PATH).get_data(as_text=True)
    assert "76 00 02 22" not in client.get(PATH).get_data(as_text=True)
