"""Console → Accounts: administrators manage who may sign in (audited, never a hash shown)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway import runtime
from gateway.referrals import store
from tests.console.conftest import PASSWORD, audit_actions, create_user, csrf_token, get_user, login

NEW_PASSWORD = "une phrase assez longue 42"
EXAMPLE = "examples/bamako-directory.yaml"


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    """A client signed in as ``boss``, an administrator."""
    from gateway.config import PROJECT_ROOT

    store.load_file(runtime.current().db, PROJECT_ROOT / EXAMPLE)
    create_user("boss", "admin", language="en")
    client = app.test_client()
    assert login(client, "boss").status_code == 302
    return client


def post(client: FlaskClient, path: str, **form: str):  # type: ignore[no-untyped-def]
    """POST ``form`` with the CSRF token of the accounts page."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/console/users"), **form})


def new_password(client: FlaskClient, user_id: int):  # type: ignore[no-untyped-def]
    """Set NEW_PASSWORD on the account ``user_id`` through its page."""
    path = f"/console/users/{user_id}/password"
    return post(client, path, password=NEW_PASSWORD, password_again=NEW_PASSWORD)


def add(client: FlaskClient, **changes: str):  # type: ignore[no-untyped-def]
    form = {"username": "Awa.Traore", "role": "agency", "agency": "dnds", "language": "fr"}
    form |= {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD} | changes
    return post(client, "/console/users", **form)


def test_only_administrators_manage_accounts(client_as: Callable[[str], FlaskClient]) -> None:
    for role in ("coordinator", "agency", "trainer"):
        other = client_as(role)
        assert other.get("/console/users").status_code == 403
        assert 'href="/console/users"' not in other.get("/console/").get_data(as_text=True)
    assert client_as("admin").get("/console/users").status_code == 200


def test_add_an_agency_account_who_can_then_sign_in(admin: FlaskClient, app: Flask) -> None:
    response = add(admin)
    assert response.status_code == 302, response.get_data(as_text=True)
    user = get_user("awa.traore")  # usernames are lower-case
    assert (user.role, user.agency_id, user.language, user.active) == ("agency", "dnds", "fr", True)
    page = admin.get("/console/users").get_data(as_text=True)
    assert "awa.traore" in page and "scrypt" not in page and NEW_PASSWORD not in page
    assert ("boss", "user.add", "awa.traore", "role=agency agency=dnds") in audit_actions()
    assert login(app.test_client(), "awa.traore", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"username": "x"}, "3 to 64 characters"),
        ({"username": "system"}, "reserved"),
        ({"username": "boss"}, "already exists"),
        ({"role": "root"}, "Choose a role"),
        ({"agency": "nope"}, "agency of the directory"),
        ({"password_again": "something else entirely"}, "The two passwords differ."),
        ({"password": "short", "password_again": "short"}, "At least 12 characters"),
        (
            {"password": "awa.traore-2026!", "password_again": "awa.traore-2026!"},
            "not containing the username",
        ),
    ],
)
def test_a_refused_account_says_why_and_keeps_the_form(
    admin: FlaskClient, changes: dict[str, str], says: str
) -> None:
    response = add(admin, **changes)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert says in page.replace("&#39;", "'")
    assert 'value="' + changes.get("username", "Awa.Traore") + '"' in page
    assert "user.add" not in [a[1] for a in audit_actions()]


def test_disable_enable_unlock_and_set_a_password(admin: FlaskClient, app: Flask) -> None:
    create_user("ana", "coordinator")
    ana = app.test_client()
    assert login(ana, "ana").status_code == 302
    ana_id = get_user("ana").id

    assert post(admin, f"/console/users/{ana_id}/disable").status_code == 302
    assert not get_user("ana").active
    assert ana.get("/console/cases").status_code in (302, 401)  # her session ended
    assert post(admin, f"/console/users/{ana_id}/enable").status_code == 302

    for _ in range(runtime.current().settings.LOGIN_MAX_FAILURES):
        login(app.test_client(), "ana", "wrong password, wrong")
    assert get_user("ana").is_locked()
    assert "Unlock" in admin.get(f"/console/users/{ana_id}").get_data(as_text=True)
    assert post(admin, f"/console/users/{ana_id}/unlock").status_code == 302
    assert not get_user("ana").is_locked()

    refused = post(admin, f"/console/users/{ana_id}/password", password="x", password_again="x")
    assert refused.status_code == 422 and "Password refused." in refused.get_data(as_text=True)
    assert new_password(admin, ana_id).status_code == 302
    assert login(app.test_client(), "ana", PASSWORD).status_code == 200  # the old one fails
    assert login(app.test_client(), "ana", NEW_PASSWORD).status_code == 302
    actions = [(a[0], a[1], a[2]) for a in audit_actions() if a[1].startswith("user.")]
    assert actions == [
        ("boss", "user.disable", "ana"),
        ("boss", "user.enable", "ana"),
        ("boss", "user.unlock", "ana"),
        ("boss", "user.passwd", "ana"),
    ]


def test_an_admin_cannot_disable_their_own_account(admin: FlaskClient) -> None:
    """The one acting always remains: else the last administrator could leave
    nobody able to manage accounts without a shell on the server."""
    boss_id = get_user("boss").id
    own = post(admin, f"/console/users/{boss_id}/disable")
    assert own.status_code == 422 and "your own account" in own.get_data(as_text=True)
    assert get_user("boss").active


def test_changing_ones_own_password_keeps_this_session(admin: FlaskClient) -> None:
    boss_id = get_user("boss").id
    assert new_password(admin, boss_id).status_code == 302
    assert admin.get("/console/users").status_code == 200
