"""The console's Directory pages: viewing, masking, editing, quick edits, test routing."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from gateway import runtime
from gateway.commands.referrals import route_command
from gateway.console.directory_forms import edited_document
from gateway.models import DirectoryVersion, FocalPointRecord
from gateway.referrals import store
from gateway.referrals.directory import load_directory_text
from tests.console.conftest import audit_actions, csrf_token

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bamako-directory.yaml"
TEXT = EXAMPLE.read_text(encoding="utf-8")
CLEAR = "+22370000101"  # iom-bko-fr's number in the demo file
MASKED = "+223 7•••••01"
Client = Callable[[str], FlaskClient]
EN = {"Accept-Language": "en"}
SMALL = """\
version: 1
agencies:
  - id: solo
    name: {name}
    focal_points:
      - id: solo-fp
        name: Point focal unique
        phone: "+22370000111"
        languages: [fr]
rules: []
fallback_agency: solo
"""


@pytest.fixture
def loaded(app: Flask) -> None:
    """The demo directory in force (version 1)."""
    store.load_text(runtime.current().db, TEXT, str(EXAMPLE), loaded_by="cli")


def body(response: TestResponse) -> str:
    """A response's text."""
    return response.get_data(as_text=True)


def versions() -> list[DirectoryVersion]:
    """Every stored directory version, oldest first."""
    with runtime.current().db.session() as session:
        rows = list(session.scalars(select(DirectoryVersion).order_by(DirectoryVersion.id)))
        session.expunge_all()
        return rows


def focal_point(fp_id: str) -> tuple[bool, str]:
    """(active, phone) of a row of the focal_points table."""
    with runtime.current().db.session() as session:
        record = session.get(FocalPointRecord, fp_id)
        assert record is not None
        return record.active, str(record.contact.phone)


def demo_digits() -> list[str]:
    """The last six digits of every demo number (never shown unmasked to viewers)."""
    directory = load_directory_text(TEXT, "demo")
    return [fp.phone[-6:] for agency in directory.agencies for fp in agency.focal_points]


def post(client: FlaskClient, path: str, **form: str) -> TestResponse:
    """POST ``form`` (with a CSRF token), asking for English pages."""
    token = csrf_token(client, "/console/")
    return client.post(path, data={"csrf_token": token, **form}, headers=EN)


# --- access ------------------------------------------------------------------

VIEW_PAGES = ["/console/directory", "/console/directory/history", "/console/directory/route"]
EDIT_PAGES = ["/console/directory/edit", "/console/directory/focal-points/iom-bko-fr"]


@pytest.mark.parametrize("role", ["admin", "coordinator", "agency"])
def test_viewers_see_the_view_pages(client_as: Client, loaded: None, role: str) -> None:
    client = client_as(role)
    for path in VIEW_PAGES:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", ["coordinator", "agency", "trainer"])
def test_only_admins_edit(client_as: Client, loaded: None, role: str) -> None:
    client = client_as(role)
    for path in EDIT_PAGES:
        assert client.get(path).status_code == 403, path
    for path, form in [
        ("/console/directory/edit", {"action": "save", "document": TEXT}),
        ("/console/directory/reveal", {"focal_point": "iom-bko-fr"}),
        ("/console/directory/focal-points/iom-bko-fr/active", {"active": "false"}),
        ("/console/directory/focal-points/iom-bko-fr/phone", {"phone": "70000999"}),
    ]:
        assert post(client, path, **form).status_code == 403, path
    assert len(versions()) == 1


def test_admin_opens_the_edit_pages(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    for path in EDIT_PAGES:
        assert client.get(path).status_code == 200, path


def test_opening_the_whole_file_is_audited(client_as: Client, loaded: None) -> None:
    """It shows every focal point's number in clear, as a reveal does."""
    client_as("admin").get("/console/directory/edit")
    assert ("admin1", "directory.open_file", "1", "") in audit_actions()


def test_trainer_sees_no_directory_page(client_as: Client, loaded: None) -> None:
    client = client_as("trainer")
    for path in VIEW_PAGES:
        assert client.get(path).status_code == 403, path


def test_anonymous_is_sent_to_login(client: FlaskClient, loaded: None) -> None:
    for path in VIEW_PAGES + EDIT_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/console/login" in response.headers["Location"]


# --- the directory in force --------------------------------------------------


def test_directory_page_shows_the_directory(client_as: Client, loaded: None) -> None:
    text = body(
        client_as("coordinator").get("/console/directory", headers={"Accept-Language": "en"})
    )
    assert "Version 1, in force" in text and "fictitious" in text
    assert "OIM / IOM -- Organisation internationale pour les migrations" in text
    assert "Agent protection OIM communes V-VI, bambara (démo)" in text
    assert "Commune V (ML-BKO-C5)" in text  # areas as place names
    assert "French, Bambara" in text  # languages in words, canonical order
    assert "high 10m · medium 1h · low 1d · reminder 3d" in text  # samusocial's escalation
    assert "Webhook configured" in text and "RELAIS_WEBHOOK_SECRET" not in text
    rules = [m.group(1) for m in re.finditer(r'<li id="rule-([a-z-]+)">', text)]
    assert rules == [
        "night-street",
        "dnpef-abuse",
        "separated-dnds-north",
        "separated-iom",
        "high-risk-bamako",
        "north-centre-unicef",
    ]
    assert "Concern: living in the street" in text and "every day from 19:00 to 07:00" in text
    assert "<details open>" in text and "<summary>Commune V" in text


def test_directory_page_in_french(client_as: Client, loaded: None) -> None:
    page = client_as("agency").get("/console/directory", headers={"Accept-Language": "fr"})
    text = html.unescape(body(page))
    assert "Règles d'orientation, dans l'ordre" in text and "Problème : en situation de rue" in text
    assert "tous les jours de 19:00 à 07:00" in text and "Commune V (ML-BKO-C5)" in text


@pytest.mark.parametrize("role", ["coordinator", "agency", "admin"])
def test_numbers_are_masked(client_as: Client, loaded: None, role: str) -> None:
    text = body(client_as(role).get("/console/directory"))
    assert MASKED in text
    leaked = [digits for digits in demo_digits() if digits in text]
    assert leaked == []
    assert ("/console/directory/reveal" in text) == (role == "admin")


def test_admin_reveals_a_number_and_it_is_audited(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    response = post(client, "/console/directory/reveal", focal_point="iom-bko-fr")
    text = body(response)
    assert response.status_code == 200
    assert f'href="tel:{CLEAR}"' in text
    assert text.count(CLEAR) == 2  # the link and its text: only that number
    assert ("admin1", "directory.reveal_phone", "iom-bko-fr", "") in audit_actions()


def test_reveal_needs_csrf_and_a_known_person(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    no_token = client.post("/console/directory/reveal", data={"focal_point": "iom-bko-fr"})
    assert no_token.status_code == 400 and CLEAR not in body(no_token)
    assert post(client, "/console/directory/reveal", focal_point="nobody").status_code == 404
    assert not [a for a in audit_actions() if a[1] == "directory.reveal_phone"]


def test_history_lists_versions_with_changes(client_as: Client, loaded: None) -> None:
    changed = TEXT.replace("  high: 15m\n  medium: 4h", "  high: 20m\n  medium: 4h", 1)
    store.load_text(runtime.current().db, changed, "console", loaded_by="admin1")
    text = body(client_as("agency").get("/console/directory/history", headers=EN))
    assert text.index("Version 2") < text.index("Version 1")
    assert "escalation high: 15m → 20m" in text and "agency added: iom" in text
    places = text[text.index("Place list versions") :]
    assert "the list shipped with Relais is in force" in places and "Version" not in places


def test_nothing_loaded(client_as: Client) -> None:
    client = client_as("coordinator")
    for path in VIEW_PAGES:
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 200 and "No directory is loaded yet." in body(response)


# --- editing the whole file --------------------------------------------------


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``needle`` in ``text``."""
    return text[: text.index(needle)].count("\n") + 1


def test_validate_lists_problems_with_lines_and_saves_nothing(
    client_as: Client, loaded: None
) -> None:
    broken = TEXT.replace('phone: "+22365000201"', 'phone: "+2231"')
    broken = broken.replace("fallback_agency: dnds", "fallback_agency: nobody")
    client = client_as("admin")
    response = post(client, "/console/directory/edit", action="validate", document=broken)
    text = html.unescape(body(response))
    assert response.status_code == 422
    assert f"line {line_of(broken, '+2231')}: invalid phone number for dnds-c1-c3" in text
    assert f"line {line_of(broken, 'fallback_agency: nobody')}: unknown fallback agency" in text
    assert len(versions()) == 1
    # Saving the same text is refused the same way.
    response = post(client, "/console/directory/edit", action="save", document=broken)
    assert response.status_code == 422 and len(versions()) == 1


def test_validate_a_good_file_saves_nothing(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    changed = TEXT.replace("name: Samu Social Mali", "name: Samu Social")
    response = post(client, "/console/directory/edit", action="validate", document=changed)
    assert response.status_code == 200 and "5 agencies" in body(response)
    assert len(versions()) == 1


def test_save_creates_a_version_then_unchanged(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    page = body(client.get("/console/directory/edit"))
    assert html.escape("name: OIM / IOM") in page  # the current file in the textarea
    changed = TEXT.replace("name: Samu Social Mali", "name: Samu Social").replace("\n", "\r\n")
    form = {"action": "save", "document": changed, "base_version": "1"}
    response = post(client, "/console/directory/edit", **form)
    text = body(response)
    assert response.status_code == 200 and "version 2" in text
    assert "agency samusocial: name: Samu Social Mali → Samu Social" in text
    rows = versions()
    assert [(r.id, r.source, r.loaded_by) for r in rows[1:]] == [(2, "console", "admin1")]
    assert ("admin1", "directory.edit", "2", "version 2, 1 change(s), file") in audit_actions()
    again = post(client, "/console/directory/edit", **{**form, "base_version": "2"})
    assert "Unchanged" in body(again) and len(versions()) == 2
    assert len([a for a in audit_actions() if a[1] == "directory.edit"]) == 1


def test_save_over_a_newer_version_is_refused(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    changed = TEXT.replace("name: Samu Social Mali", "name: Samu Social")
    form = {"action": "save", "document": changed, "base_version": "0"}
    response = post(client, "/console/directory/edit", **form)
    assert response.status_code == 409 and len(versions()) == 1
    assert 'name="base_version" value="1"' in body(response)  # saving again is possible


def test_first_directory_through_the_console(client_as: Client) -> None:
    client = client_as("admin")
    assert post(client, "/console/directory/edit", action="save", document="").status_code == 422
    response = post(client, "/console/directory/edit", action="save", document=TEXT)
    assert "directory created" in body(response) and len(versions()) == 1
    assert focal_point("iom-bko-fr") == (True, CLEAR)


def test_a_demo_directory_is_refused_in_production(
    client_as: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.current().settings, "RELAIS_ENV", "production")
    client = client_as("admin")
    response = post(client, "/console/directory/edit", action="save", document=TEXT)
    assert response.status_code == 422
    assert "demo: true marks a demonstration directory" in html.unescape(body(response))
    assert versions() == []


def test_edit_needs_csrf_and_a_known_action(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    changed = TEXT.replace("name: Samu Social Mali", "name: Samu Social")
    no_token = client.post("/console/directory/edit", data={"action": "save", "document": changed})
    assert no_token.status_code == 400
    assert (
        post(client, "/console/directory/edit", action="drop", document=changed).status_code == 400
    )
    assert len(versions()) == 1


def test_user_text_is_escaped(client_as: Client) -> None:
    evil = "<script>alert(1)</script>"
    store.load_text(runtime.current().db, SMALL.format(name=f'"{evil}"'), "x", loaded_by="cli")
    client = client_as("admin")
    for path in ["/console/directory", "/console/directory/history", "/console/directory/edit"]:
        text = body(client.get(path))
        assert evil not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
    bad = SMALL.format(name="Solo").replace("[fr]", "[fr]\n        areas: ['<b>x</b>']")
    text = body(post(client, "/console/directory/edit", action="validate", document=bad))
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text


# --- quick edits -------------------------------------------------------------

ACTIVE = "/console/directory/focal-points/iom-bko-fr/active"
PHONE = "/console/directory/focal-points/iom-bko-fr/phone"


def test_toggle_a_focal_point(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    response = post(client, ACTIVE, active="false", base_version="1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/directory#fp-iom-bko-fr")
    assert focal_point("iom-bko-fr")[0] is False
    rows = versions()
    assert (
        len(rows) == 2
        and rows[1].changes == "agency iom: focal point iom-bko-fr: active: true → false"
    )
    assert (
        "admin1",
        "directory.edit",
        "2",
        "version 2, 1 change(s), active iom-bko-fr",
    ) in audit_actions()
    page = body(client.get("/console/directory", headers={"Accept-Language": "en"}))
    assert "Saved as version 2." in page and "active: true → false" in page
    assert "# DEMO referral directory" in rows[1].document  # the comment header is kept
    assert post(client, ACTIVE, active="true", base_version="2").status_code == 302
    assert focal_point("iom-bko-fr")[0] is True and len(versions()) == 3


def test_toggle_to_the_same_state_changes_nothing(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    post(client, ACTIVE, active="true", base_version="1")
    assert "Nothing changed" in body(
        client.get("/console/directory", headers={"Accept-Language": "en"})
    )
    assert len(versions()) == 1


def test_change_a_phone_number(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    response = post(client, PHONE, phone="70 00 09 99", base_version="1")
    assert response.status_code == 302
    assert focal_point("iom-bko-fr") == (True, "+22370000999")
    with runtime.current().db.session() as session:
        directory = store.current(session)
    assert (
        directory is not None
        and directory.agency("iom").focal_point("iom-bko-fr").phone == "+22370000999"
    )
    edit = [a for a in audit_actions() if a[1] == "directory.edit"]
    assert edit == [("admin1", "directory.edit", "2", "version 2, 1 change(s), phone iom-bko-fr")]


def test_a_bad_phone_is_refused_with_a_message(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    for bad in ["12", "", "not a number"]:
        response = post(client, PHONE, phone=bad, base_version="1")
        assert response.status_code == 422
        assert "not a valid phone number" in body(response) or "numéro" in body(response)
    assert len(versions()) == 1 and focal_point("iom-bko-fr") == (True, CLEAR)


def test_quick_edit_refused_by_validation(client_as: Client) -> None:
    store.load_text(runtime.current().db, SMALL.format(name="Solo"), "x", loaded_by="cli")
    client = client_as("admin")
    path = "/console/directory/focal-points/solo-fp/active"
    response = post(client, path, active="false", base_version="1")
    text = html.unescape(body(response))
    assert response.status_code == 422
    assert re.search(r"line \d+: fallback agency 'solo' has no active focal point", text)
    assert len(versions()) == 1 and focal_point("solo-fp")[0] is True


def test_quick_edit_guards(client_as: Client, loaded: None) -> None:
    client = client_as("admin")
    assert client.post(ACTIVE, data={"active": "false", "base_version": "1"}).status_code == 400
    assert post(client, ACTIVE, active="maybe", base_version="1").status_code == 400
    stale = post(client, ACTIVE, active="false", base_version="7")
    assert stale.status_code == 409
    unknown = "/console/directory/focal-points/nobody/active"
    assert post(client, unknown, active="false", base_version="1").status_code == 404
    assert client.get("/console/directory/focal-points/nobody").status_code == 404
    assert len(versions()) == 1 and focal_point("iom-bko-fr")[0] is True


def test_edited_document_round_trips() -> None:
    same = edited_document(TEXT, "iom-bko-fr", "name", "Point focal protection OIM Bamako (démo)")
    assert load_directory_text(same, "a").digest() == load_directory_text(TEXT, "b").digest()
    tricky = SMALL.format(name="no").replace('"+22370000111"', '"70 00 01 11"')
    again = edited_document(tricky, "solo-fp", "active", True)
    directory = load_directory_text(again, "c")
    assert directory.agencies[0].name == "no" and directory.agencies[0].focal_points[0].active


# --- test routing -------------------------------------------------------------


def cli_route(app: Flask, args: list[str]) -> str:
    """What ``relais route`` prints for ``args``."""
    result = CliRunner().invoke(route_command, args, obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    return result.output.rstrip("\n")


@pytest.mark.parametrize(
    "query",
    [
        {"concern": "separated", "place": "ML-BKO-C5", "risk": "high", "at": "2025-01-14T14:05"},
        {"concern": "street", "place": "ML-BKO-C2", "risk": "medium", "at": "2025-01-14T21:30"},
        {"concern": "other", "place": "ML-BKO", "risk": "low", "at": "2025-01-15T08:00"},
        {
            "concern": "abuse",
            "place": "ML-5",
            "risk": "low",
            "sex": "girl",
            "age_band": "12-14",
            "language": "en",
            "at": "2025-01-18T03:00",
        },
    ],
)
def test_route_explains_like_the_command(
    app: Flask, client_as: Client, loaded: None, query: dict[str, str]
) -> None:
    # In English, the console shows the command's own text (French: test_i18n_directory).
    response = client_as("agency").get("/console/directory/route", query_string=query, headers=EN)
    assert response.status_code == 200
    found = re.search(r"<pre[^>]*>(.*?)</pre>", body(response), re.S)
    assert found
    args: list[str] = []
    for name, value in query.items():
        args += ["--" + {"age_band": "age-band", "language": "lang"}.get(name, name), value]
    expected = cli_route(app, args)
    assert html.unescape(found.group(1)) == expected
    assert "+223 " in expected and not [d for d in demo_digits() if d in found.group(1)]


def test_route_form_without_query_and_with_bad_values(client_as: Client, loaded: None) -> None:
    client = client_as("coordinator")
    empty = client.get("/console/directory/route", headers={"Accept-Language": "en"})
    assert empty.status_code == 200 and "<pre" not in body(empty)
    assert "\u00a0\u00a0\u00a0\u00a0Commune V (ML-BKO-C5)" in body(empty)  # indented place
    for bad in [{"concern": "lost"}, {"place": "ML-XX"}, {"at": "yesterday"}, {"risk": "<b>"}]:
        query = {"concern": "separated", "place": "ML-BKO", "risk": "high", **bad}
        response = client.get("/console/directory/route", query_string=query)
        assert response.status_code == 422 and "<pre" not in body(response), bad
        assert "<b>" not in body(response)
