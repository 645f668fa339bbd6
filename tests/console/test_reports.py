"""The Reports page and its CSV export: access, agency scope, training excluded, audit."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway import reports, runtime
from gateway.simulate import Phone
from tests.console.conftest import audit_actions
from tests.support import post_twilio, twilio_sms, work
from tests.test_reports import add_alert, at, dataset  # noqa: F401 - the fixture

PAGE = "/console/reports"
EXPORT = "/console/reports/export.csv"
MARCH = "?from=2026-03-01&to=2026-03-31"
EN = {"Accept-Language": "en"}


def figure(html: str, name: str) -> str:
    """The value shown for headline figure ``name`` (``alerts``, ``girls``...)."""
    found = re.search(rf'id="fig-{name}">([^<]*)<', html)
    assert found, name
    return found.group(1).strip()


def rows(client: FlaskClient, query: str = MARCH) -> dict[tuple[str, str], list[str]]:
    """The CSV export as {(section, key): [value, children]}."""
    response = client.get(EXPORT + query + ("&" if query else "?") + "codes=1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads the accents as UTF-8
    table = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert table[0] == ["section", "key", "value", "children"]
    return {(r[0], r[1]): r[2:] for r in table[1:]}


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("coordinator", 200), ("agency", 200), ("trainer", 403)]
)
def test_who_may_see_reports(
    client_as: Callable[[str], FlaskClient], role: str, status: int
) -> None:
    client = client_as(role)
    assert client.get(PAGE).status_code == status
    assert client.get(EXPORT).status_code == status


def test_signed_out_users_go_to_the_login_page(client: FlaskClient) -> None:
    for path in (PAGE, EXPORT):
        response = client.get(path)
        assert response.status_code == 302 and "/console/login" in response.headers["Location"]


@pytest.mark.usefixtures("dataset")
def test_page_shows_the_figures_the_chart_and_its_table(
    client_as: Callable[[str], FlaskClient],
) -> None:
    html = client_as("coordinator").get(PAGE + MARCH, headers=EN).get_data(as_text=True)
    assert (figure(html, "alerts"), figure(html, "children"), figure(html, "girls")) == (
        "4",
        "7",
        "5",
    )
    assert figure(html, "median") == "12 min" and figure(html, "share") == "25%"
    assert figure(html, "escalations") == "3" and "1 of 4 referrals" in html
    assert 'role="img"' in html and '<title id="chart-title">Alerts per day</title>' in html
    assert '<desc id="chart-desc">Alerts per day: 4 alerts in all.' in html
    assert html.count('class="rep-bar"') == 31  # one bar a day, empty days included
    assert "data as a table</summary>" in html and "<td>10 Mar</td>" in html
    assert "Separated or unaccompanied" in html and '<th scope="row">Commune V</th>' in html
    assert "Marché Badalabougou" not in html and "T00001" not in html  # no case data


@pytest.mark.usefixtures("dataset")
def test_agency_staff_only_see_their_agency(client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("agency")  # an iom user
    html = client.get(PAGE + MARCH + "&agency=dnds", headers=EN).get_data(as_text=True)
    assert (figure(html, "alerts"), figure(html, "children"), figure(html, "girls")) == (
        "2",
        "3",
        "2",
    )
    assert figure(html, "escalations") == "2" and figure(html, "median") == "10 min"
    assert 'name="agency"' not in html  # no agency choice
    assert rows(client, MARCH + "&agency=dnds")[("headline", "alerts")] == ["2", "3"]


@pytest.mark.usefixtures("dataset")
def test_coordinators_filter_by_agency(client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("coordinator")
    html = client.get(PAGE + MARCH + "&agency=dnds", headers=EN).get_data(as_text=True)
    assert figure(html, "alerts") == "1" and figure(html, "share") == "0%"
    assert '<option value="dnds" selected>' in html
    unknown = client.get(PAGE + MARCH + "&agency=nobody", headers=EN).get_data(as_text=True)
    assert figure(unknown, "alerts") == "4"


@pytest.mark.usefixtures("dataset")
def test_csv_export_is_aggregated_and_audited(client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("coordinator")
    data = rows(client)
    assert data[("headline", "alerts")] == ["4", "7"] and data[("headline", "girls")] == ["", "5"]
    assert data[("concern", "separated")] == ["2", "3"]
    assert data[("response", "median_seconds_to_accept")] == ["720", ""]
    assert data[("response", "share_within_target")] == ["0.250", ""]
    assert data[("trend_day", "2026-03-10")] == ["2", ""]
    body = client.get(EXPORT + MARCH).get_data(as_text=True)
    assert "Badalabougou" not in body and "T0000" not in body and "+223" not in body
    exports = [a for a in audit_actions() if a[1] == "report.export"]
    assert exports[0][0] == "coordinator1"
    assert exports[0][2:] == ("2026-03-01..2026-03-31", "agencies=all")


def test_training_data_never_counts(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    """A real alert (Twilio webhooks) and a simulator alert: the report counts one."""
    answers = ["1", "1", "5", "Marché Badalabougou", "2", "fille", "2", "oui", "0", "oui", "oui"]
    webhook = app.test_client()
    for i, body in enumerate(["Bonjour", *answers]):
        form = twilio_sms(f"SM{i:032d}", "+22376123445", body)
        assert post_twilio(webhook, "/webhooks/twilio/sms", form).status_code == 200
    phone = Phone(runtime.current(), "+22370000777")
    for body in ["Bonjour", *answers]:
        phone.sms(body)
    work(app)
    client = client_as("admin")
    html = client.get(PAGE, headers=EN).get_data(as_text=True)
    assert figure(html, "alerts") == "1" and figure(html, "children") == "2"
    assert rows(client, "")[("via", "sms")] == ["1", "2"]


def test_a_bad_period_falls_back_to_the_last_30_days(
    client_as: Callable[[str], FlaskClient],
) -> None:
    client = client_as("coordinator")
    html = client.get(PAGE + "?from=2026-03-10&to=2026-03-01", headers=EN).get_data(as_text=True)
    assert "That period cannot be used" in html and html.count('class="rep-bar"') == 30
    assert client.get(PAGE + "?from=yesterday", headers=EN).status_code == 200


@pytest.mark.usefixtures("dataset")
def test_late_alerts_and_weekly_trend(client_as: Callable[[str], FlaskClient]) -> None:
    add_alert(at(31, 23, 59), children=2)
    html = (
        client_as("admin")
        .get(PAGE + "?from=2026-01-01&to=2026-03-31", headers=EN)
        .get_data(as_text=True)
    )
    assert "Alerts per week" in html and figure(html, "alerts") == "6"
    assert "week of 9 Mar" in html


def test_the_figures_are_read_from_one_snapshot(
    dataset: None,  # noqa: F811 - the fixture
    client_as: Callable[[str], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An alert arriving while the report is read (between the headline and the
    breakdowns) must not make the totals and their breakdowns disagree."""
    real = reports.breakdowns

    def alert_arrives_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        add_alert(at(20), concern="abuse")  # another connection, committed
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "breakdowns", alert_arrives_meanwhile)
    data = rows(client_as("coordinator"))
    by_concern = sum(int(v[0]) for (section, _), v in data.items() if section == "concern")
    assert data[("headline", "alerts")][0] == str(by_concern) == "4"
    monkeypatch.setattr(reports, "breakdowns", real)
    assert rows(client_as("coordinator"))[("headline", "alerts")][0] == "5"  # next time
