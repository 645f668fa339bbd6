"""Security headers, cookies, CSRF (webhooks exempt), error pages, templates."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gateway import create_app
from gateway.config import Settings
from gateway.console.security import CONTENT_SECURITY_POLICY, cookies_secure
from gateway.models import Message, User
from tests.console.conftest import login
from tests.support import count, post_twilio, twilio_sms

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
EXPECTED = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


def test_policy_is_the_documented_one() -> None:
    assert EXPECTED["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/console/login", "/healthz", "/console/nope", "/webhooks/x"])
def test_security_headers_everywhere(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (path, name)


def test_console_pages_are_not_stored(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user("awa", "coordinator")
    login(client, "awa")
    assert client.get("/console/").headers["Cache-Control"] == "no-store"
    assert client.get("/console/login").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/healthz").headers.get("Cache-Control", "")


def test_stylesheet_is_served_locally(client: FlaskClient) -> None:
    page = client.get("/console/login").get_data(as_text=True)
    assert 'href="/console/static/console/console.css"' in page
    assert "http://" not in page and "https://" not in page  # no CDN, no external asset
    css = client.get("/console/static/console/console.css")
    assert css.status_code == 200 and ":focus-visible" in css.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("awa", "coordinator")
    response = client.post("/console/login", data={"username": "awa", "password": "x" * 20})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert client.post("/console/language", data={"lang": "en"}).status_code == 400


def test_webhooks_need_no_csrf_token(client: FlaskClient) -> None:
    form = twilio_sms("SM" + "c" * 32, "+22370000001", "Bonjour")
    response = post_twilio(client, "/webhooks/twilio/sms", form)
    assert response.status_code == 200
    assert count(Message, Message.direction == "in") == 1


def test_errors_are_html_in_console_and_json_elsewhere(client: FlaskClient) -> None:
    page = client.get("/console/does-not-exist")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Page introuvable" in page.get_data(as_text=True)
    api = client.get("/webhooks/does-not-exist")
    assert api.status_code == 404 and api.is_json


def test_session_cookie_flags(client: FlaskClient) -> None:
    # The test settings use an https PUBLIC_BASE_URL: cookies are Secure.
    cookie = client.get("/console/login").headers["Set-Cookie"]
    assert cookie.startswith("relais_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie


def test_no_secure_cookie_in_development_over_http(app_config: dict[str, object]) -> None:
    config = dict(app_config, RELAIS_ENV="development", PUBLIC_BASE_URL="http://localhost:8000")
    app = create_app(config)
    try:
        cookie = app.test_client().get("/console/login").headers["Set-Cookie"]
        assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers
    finally:
        app.extensions["relais"].db.dispose()


def test_cookie_security_rules() -> None:
    def settings(env: str, url: str, **extra: object) -> Settings:
        return Settings(RELAIS_ENV=env, PUBLIC_BASE_URL=url, extra=dict(extra))

    assert not cookies_secure(settings("development", "http://localhost:8000"))
    assert not cookies_secure(settings("test", "http://localhost"))
    assert cookies_secure(settings("development", "https://relais.example.org"))
    assert cookies_secure(settings("production", "http://misconfigured"))
    assert cookies_secure(settings("test", "http://localhost", SESSION_COOKIE_SECURE=True))
    assert not cookies_secure(settings("production", "https://x", SESSION_COOKIE_SECURE=False))


def test_forced_secure_cookie_and_hsts(app_config: dict[str, object]) -> None:
    config = dict(app_config, PUBLIC_BASE_URL="http://localhost", SESSION_COOKIE_SECURE=True)
    app = create_app(config)
    try:
        response = app.test_client().get("/console/login")
        assert "Secure" in response.headers["Set-Cookie"]
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        app.extensions["relais"].db.dispose()


def _offences(text: str) -> list[str]:
    """What in a template breaks the CSP or autoescaping."""
    found = []
    if [tag for tag in re.findall(r"<script\b[^>]*>", text, re.I) if "src=" not in tag]:
        found.append("inline <script>")
    if re.search(r"<style\b", text, re.I) or re.search(r"\sstyle\s*=", text, re.I):
        found.append("inline style")
    if re.search(r"\son[a-z]+\s*=", text, re.I):
        found.append("inline event handler")
    if "|safe" in text.replace(" ", ""):
        found.append("|safe")
    return found


@pytest.mark.parametrize(
    "sample",
    [
        '<p style="color:red">',
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        '<a onclick="x()">',
        "{{ note | safe }}",
    ],
)
def test_the_template_scan_catches_offences(sample: str) -> None:
    assert _offences(sample)
    assert not _offences('<script src="/console/static/app.js"></script><p class="x">')


def test_templates_have_no_inline_script_or_style() -> None:
    templates = sorted(GATEWAY.glob("**/templates/**/*.html"))
    assert any(p.name == "base.html" for p in templates)
    offenders = {
        str(p.relative_to(GATEWAY)): _offences(p.read_text(encoding="utf-8")) for p in templates
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_home_escapes_user_data(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user("awa", "agency", agency="<b>iom</b>")
    login(client, "awa")
    page = client.get("/console/").get_data(as_text=True)
    assert "<b>iom</b>" not in page and "&lt;b&gt;iom&lt;/b&gt;" in page


def test_console_errors_do_not_leak_details(app_config: dict[str, object]) -> None:
    app = create_app(app_config)

    @app.get("/console/boom")
    def boom() -> str:
        raise ValueError("secret +22370000001")

    boom._relais_access = "public"  # type: ignore[attr-defined]
    try:
        response = app.test_client().get("/console/boom")
        assert response.status_code == 500 and response.mimetype == "text/html"
        assert "22370000001" not in response.get_data(as_text=True)
    finally:
        app.extensions["relais"].db.dispose()


def test_every_console_input_says_its_type() -> None:
    # An input without a type misses the text-box style (the Accounts form's
    # username showed thin and unstyled) and the phone's right keyboard.
    templates = Path(__file__).parents[2] / "gateway" / "console" / "templates"
    untyped = [
        f"{path.relative_to(templates)}: {tag[:60]}"
        for path in sorted(templates.rglob("*.html"))
        for tag in re.findall(r"<input\b[^>]*>", path.read_text(), flags=re.S)
        if not re.search(r"\btype=", tag)
    ]
    assert untyped == []
