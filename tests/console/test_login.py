"""Signing in and out: generic errors, lock-out, per-IP throttle, session timeout."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient

from gateway import runtime
from gateway.commands.users import users_group
from gateway.console.security import SESSION_COOKIE_NAME
from gateway.db import utcnow
from gateway.embedded_redis import EmbeddedRedis
from gateway.models import User
from tests.console.conftest import PASSWORD, audit_actions, csrf_token, get_user, login

GENERIC = "Sign-in failed: wrong username or password"
GENERIC_FR = "Échec de la connexion : identifiant ou mot de passe incorrect"


def test_login_success_lands_on_home_and_is_audited(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    response = login(client, "Awa ")  # usernames are trimmed and case-insensitive
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    home = client.get("/console/")
    assert home.status_code == 200
    assert "awa" in home.get_data(as_text=True)
    assert get_user("awa").last_login_at is not None
    actor, action, target, _ = audit_actions()[-1]
    assert (actor, action, target) == ("awa", "login", "awa")


def test_home_needs_a_session(client: FlaskClient) -> None:
    response = client.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")


def test_failures_get_one_generic_message(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    make_user("idle", "coordinator")
    with runtime.current().db.session() as session:
        session.get(User, get_user("idle").id).active = False  # type: ignore[union-attr]
    wrong = login(client, "awa", "not the password at all")
    unknown = login(client, "nobody-here", PASSWORD)
    disabled = login(client, "idle", PASSWORD)
    pages = [r.get_data(as_text=True) for r in (wrong, unknown, disabled)]
    assert {r.status_code for r in (wrong, unknown, disabled)} == {200}
    assert all(GENERIC_FR in page for page in pages)
    assert client.get("/console/").status_code == 302  # still signed out
    events = audit_actions()
    assert [e[1] for e in events] == ["login.failed"] * 3
    assert [e[3] for e in events] == ["wrong password", "unknown username", "disabled"]
    # A typed unknown username is never stored: it may be a mistyped password.
    assert all("nobody-here" not in " ".join(e) for e in events)
    assert all(
        PASSWORD not in " ".join(e) and "not the password" not in " ".join(e) for e in events
    )


def test_lock_out_after_max_failures_then_cli_unlock(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        login(client, "awa", "wrong password, sorry")
    user = get_user("awa")
    assert user.locked_until is not None and user.locked_until > utcnow()
    assert "login.locked" in [e[1] for e in audit_actions()]
    # The right password is refused during the lock, with the same message.
    refused = login(client, "awa")
    assert refused.status_code == 200 and GENERIC_FR in refused.get_data(as_text=True)
    assert audit_actions()[-1][1:] == ("login.failed", "awa", "locked")

    result = CliRunner().invoke(
        users_group, ["unlock", "awa"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 0, result.output
    assert login(client, "awa").status_code == 302


def test_lock_expires_and_counting_starts_again(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    with runtime.current().db.session() as session:
        user = session.get(User, get_user("awa").id)
        assert user is not None
        user.failed_logins = 5
        user.locked_until = utcnow() - dt.timedelta(minutes=1)
    login(client, "awa", "one more wrong password")
    after = get_user("awa")
    assert after.failed_logins == 1 and after.locked_until is None
    assert login(client, "awa").status_code == 302
    assert get_user("awa").failed_logins == 0


@pytest.fixture
def low_ip_limit(app_config: dict[str, object]) -> None:
    """Three failed logins per IP before 429."""
    app_config["LOGIN_IP_MAX_FAILURES"] = 3


def test_ip_throttle_answers_429(
    low_ip_limit: None, app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    for index in range(3):
        assert login(client, f"guess{index}", "wrong password here").status_code == 200
    throttled = login(client, "awa")  # even the right password waits
    assert throttled.status_code == 429
    assert "Attendez 10 minutes" in throttled.get_data(as_text=True)
    assert audit_actions()[-1][1] == "login.throttled"
    # Another address is not affected.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert login(elsewhere, "awa").status_code == 302


def test_without_redis_only_the_account_lock_applies(
    low_ip_limit: None,
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., User],
    redis_server: EmbeddedRedis,
) -> None:
    make_user("awa", "coordinator")
    redis_server.stop()
    try:
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            assert login(client, "awa", "wrong password here").status_code == 200
        assert get_user("awa").is_locked()
        assert login(client, "awa").status_code == 200  # locked, not 429 nor 500
    finally:
        redis_server.start()


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_next_never_leaves_the_site(
    client: FlaskClient, make_user: Callable[..., User], target: str
) -> None:
    make_user("awa", "coordinator")
    response = login(client, "awa", next=target)
    assert response.headers["Location"] == "/console/"


def test_next_local_path_is_kept(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user("awa", "coordinator")
    first = client.get("/console/")
    assert "next=%2Fconsole%2F" in first.headers["Location"]
    response = login(client, "awa", next="/console/cases?page=2")
    assert response.headers["Location"] == "/console/cases?page=2"


def test_logout_is_a_post_with_csrf(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user("awa", "coordinator")
    login(client, "awa")
    assert client.get("/console/logout").status_code == 405
    assert client.post("/console/logout").status_code == 400  # no CSRF token
    assert client.get("/console/").status_code == 200
    token = csrf_token(client, "/console/")
    response = client.post("/console/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302
    assert audit_actions()[-1][:2] == ("awa", "logout")


def test_session_times_out_after_inactivity(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    login(client, "awa")
    minutes = app.config["SESSION_MINUTES"]
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - minutes * 60 + 30  # 30 s to spare
    assert client.get("/console/").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - minutes * 60 - 1
    expired = client.get("/console/")
    assert expired.status_code == 302
    assert expired.headers["Location"].startswith("/console/login")
    assert client.get("/console/").status_code == 302  # really signed out
    assert audit_actions()[-1][1:] == ("logout", "awa", "session timed out")


def test_session_without_activity_stamp_is_refused(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    login(client, "awa")
    with client.session_transaction() as session:
        del session["last_seen"]
    assert client.get("/console/").status_code == 302


def test_changing_password_ends_open_sessions(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    login(client, "awa")
    assert client.get("/console/").status_code == 200
    result = CliRunner().invoke(
        users_group,
        ["passwd", "awa", "--password-stdin"],
        input="a brand new passphrase\n",
        obj=ScriptInfo(create_app=lambda: app),
    )
    assert result.exit_code == 0, result.output
    assert client.get("/console/").status_code == 302


def test_strong_session_protection_drops_a_moved_cookie(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    login(client, "awa")
    assert client.get("/console/").status_code == 200
    moved = client.get("/console/", headers={"User-Agent": "another browser"})
    assert moved.status_code == 302


def _in_parallel(app: Flask, forms: list[dict[str, str]]) -> None:
    clients = [app.test_client() for _ in forms]
    tokens = [csrf_token(c) for c in clients]
    start = threading.Barrier(len(forms))

    def post(i: int) -> None:
        start.wait()
        clients[i].post("/console/login", data={"csrf_token": tokens[i], **forms[i]})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(forms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _passwords_checked() -> int:
    return sum(1 for e in audit_actions() if e[1] == "login.failed" and e[3] == "wrong password")


def test_parallel_guesses_cannot_outrun_the_account_lock(
    app: Flask, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    _in_parallel(app, [{"username": "awa", "password": f"guess number {i}"} for i in range(30)])
    assert _passwords_checked() <= app.config["LOGIN_MAX_FAILURES"]


def test_parallel_guesses_cannot_outrun_the_ip_throttle(
    low_ip_limit: None, app: Flask, make_user: Callable[..., User]
) -> None:
    for i in range(30):
        make_user(f"user{i:02d}", "coordinator")
    # Password spraying: one guess on each of 30 accounts, all at once from one IP.
    _in_parallel(app, [{"username": f"user{i:02d}", "password": "Bamako2025!!"} for i in range(30)])
    assert _passwords_checked() <= 3


def test_a_session_cookie_is_dead_after_sign_out(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "agency", agency="iom")
    login(client, "awa")
    assert client.get("/console/cases").status_code == 200
    stolen = client.get_cookie(SESSION_COOKIE_NAME).value  # e.g. left on a shared office PC
    response = client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})
    assert response.status_code == 302
    assert client.get("/console/cases").status_code == 302  # this browser is signed out

    client.set_cookie(SESSION_COOKIE_NAME, stolen)  # the copy taken before sign-out
    assert client.get("/console/cases").status_code == 302, "signed-out session still works"


def test_nothing_from_before_sign_in_survives_it(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    with client.session_transaction() as session:
        session["planted"] = "before sign-in"
    assert login(client, "awa").status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session and "_user_id" in session


@pytest.mark.parametrize("target", ["/\t/evil.example/x", "/\x0b/evil.example"])
def test_next_with_control_characters_never_leaves_the_site(
    client: FlaskClient, make_user: Callable[..., User], target: str
) -> None:
    """Browsers drop tabs and such in URLs: "/<TAB>/evil.example" is "//evil.example"."""
    make_user("awa", "coordinator")
    assert login(client, "awa", next=target).headers["Location"] == "/console/"
