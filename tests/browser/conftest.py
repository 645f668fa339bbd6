"""Browser fixtures: the real app on a local port, Chromium through Playwright.

* ``live``: ``create_app`` with the test settings (``make_config``) served by
  ``werkzeug.serving.make_server`` in a thread on a free port, the demo
  directory loaded and one user per role (``admin1``, ``coordinator1``,
  ``agency1`` of iom, ``trainer1``, password :data:`PASSWORD`). The test keeps
  the app context, so it can read the database and run the worker in-process.
* ``browser``: Debian's Chromium (``/usr/bin/chromium``), launched once per
  session; ``page``: a fresh context per test that records console errors
  (CSP violations included) and fails the test on any.
* ``shot(page, name)`` saves ``test-artifacts/screenshots/<name>.png``.

Without Chromium or Playwright the browser tests skip, saying why (see
``require_browser``, called at the top of each test module).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from gateway import create_app, runtime
from gateway.config import PROJECT_ROOT
from gateway.embedded_redis import free_port
from gateway.referrals import store
from tests.conftest import make_config
from tests.console.conftest import PASSWORD, create_user

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROLES = {"admin": None, "coordinator": None, "agency": "iom", "trainer": None}


def require_browser() -> None:
    """Skip the calling test module when Chromium or Playwright is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}", allow_module_level=True)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser tests need the playwright package", allow_module_level=True)


@dataclass
class Live:
    """The running app: its base URL and the Flask app (for the worker and the database)."""

    url: str
    app: Flask
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def live(database_url: str, redis_url: str) -> Iterator[Live]:
    """The real app on a free local port, with the demo directory and a user per role."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(make_config(database_url, redis_url, PUBLIC_BASE_URL=base))
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    with app.app_context():
        store.load_file(runtime.current().db, PROJECT_ROOT / "examples" / "bamako-directory.yaml")
        for role, agency in ROLES.items():
            create_user(f"{role}1", role, agency=agency)
        thread.start()
        try:
            yield Live(base, app)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            app.extensions["relais"].db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium, headless, shared by the session's browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live: Live) -> Iterator[Any]:
    """A fresh browser page (English, laptop size) that fails the test on a console error."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()

    def on_console(message: Any) -> None:
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico"):  # no icon: fine
            live.console_errors.append(f"{message.text} ({url})")

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: live.console_errors.append(str(exc)))
    yield tab
    context.close()
    assert live.console_errors == [], "console errors (CSP?): " + "; ".join(live.console_errors)


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot as ``test-artifacts/screenshots/<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, live: Live, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form."""
    page.goto(live.url + "/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/console/**")
