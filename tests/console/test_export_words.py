"""The CSV exports in the reader's language by default, machine codes with ``?codes=1``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.console.case_helpers import load_directory, make_case
from tests.console.test_reports import EXPORT as REPORT_EXPORT
from tests.console.test_reports import MARCH
from tests.test_reports import dataset  # noqa: F401 - the fixture

Client = Callable[[str], FlaskClient]
CASES = "/console/cases/export.csv"
FR = {"Accept-Language": "fr"}


def table(client: FlaskClient, path: str) -> list[list[str]]:
    """The CSV at ``path`` (asked for in French), BOM checked and removed."""
    body = client.get(path, headers=FR).get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


@pytest.fixture
def one_case(app: Flask) -> str:
    """A routed high-risk case about an abused child."""
    load_directory()
    return make_case(concern="abuse", landmark="=1+1")


def test_case_export_is_in_french_by_default(one_case: str, client_as: Client) -> None:
    header, row = table(client_as("admin"), CASES)
    cells = dict(zip(header, row, strict=True))
    assert "Problème" in header and "Statut de l'orientation" in header
    assert "concern" not in header and "referral_status" not in header
    assert cells["Problème"] == "Maltraitance ou violence"
    assert cells["Risque"] == "Élevé"
    assert cells["Formation"] == "Non"
    assert cells["Référence"] == one_case
    assert cells["Repère"] == "'=1+1"  # still never run as a formula
    assert cells["Statut du cas"] == "Reçu"


def test_case_export_codes_on_request(one_case: str, client_as: Client) -> None:
    header, row = table(client_as("admin"), CASES + "?codes=1")
    cells = dict(zip(header, row, strict=True))
    assert (cells["concern"], cells["risk"], cells["training"]) == ("abuse", "high", "no")
    assert cells["referral_status"] == "notified"


@pytest.mark.usefixtures("dataset")
def test_report_export_is_in_french_by_default(client_as: Client) -> None:
    rows = table(client_as("coordinator"), REPORT_EXPORT + MARCH)
    assert rows[0] == ["Rubrique", "Élément", "Alertes ou valeur", "Enfants"]
    by_key = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert by_key[("Chiffres clés", "Alertes")] == ["4", "7"]
    assert by_key[("Par motif", "Séparé ou non accompagné")] == ["2", "3"]
    assert by_key[("Période", "Agences")] == ["Toutes les agences", ""]
    assert by_key[("Réponse aux orientations", "Délai médian d'acceptation (secondes)")] == [
        "720",
        "",
    ]
    coded = table(client_as("coordinator"), REPORT_EXPORT + MARCH + "&codes=1")
    assert coded[0] == ["section", "key", "value", "children"]
