"""Signing in and out of the console (Flask-Login), and session inactivity.

* ``GET/POST /console/login``: username and password (CSRF-protected); one
  generic error whatever went wrong; see :mod:`gateway.console.loginguard`.
* ``POST /console/logout``: signs out (CSRF-protected; never a GET).
* Sessions live in the signed ``relais_session`` cookie, which expires with
  the browser; "strong" session protection drops it when the client's
  address or browser changes; after ``SESSION_MINUTES`` without a request the
  user must sign in again. Changing a password or disabling an account
  signs out every session of it (the session id carries ``session_epoch``).

Views get the signed-in user with :func:`current` (typed) or Flask-Login's
``current_user``.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from gateway import audit, runtime
from gateway.console import loginguard
from gateway.console.security import is_console_path
from gateway.models.user import User

LAST_SEEN = "last_seen"
login_manager = LoginManager()
login_manager.session_protection = "strong"
login_manager.login_view = "console.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
login_manager.localize_callback = str  # the lazy text, in the request's language


def current() -> User:
    """The signed-in user (only call from views that require one)."""
    user = current_user._get_current_object()
    if not isinstance(user, User):
        raise RuntimeError("no signed-in user")
    return user


def _load_user(user_id: str) -> User | None:
    try:
        id_text, epoch_text = user_id.split(".", 1)
        uid, epoch = int(id_text), int(epoch_text)
    except ValueError:
        return None
    with runtime.current().db.session() as db_session:
        user = db_session.get(User, uid)
        if user is None or not user.active or (user.session_epoch or 0) != epoch:
            return None
        db_session.expunge(user)
        return user


login_manager.user_loader(_load_user)


def safe_next(target: str | None, default: str = "") -> str:
    """``target`` when it is a local path on this site, else ``default`` (the home page)."""
    fallback = default or url_for("console.home")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return fallback
    return target


def readable_page(target: str) -> str:
    """``target`` if it answers GET, else the nearest page above it that does.

    A page shown after a form (a reveal, a reply preview) has the form's POST
    address: going back there after switching the language was a 405, and
    the case was lost from view. ``/console/cases/K7QX2P/reveal`` gives
    ``/console/cases/K7QX2P``.
    """
    adapter = current_app.url_map.bind("localhost")
    path = target.partition("?")[0]
    candidate = path
    while candidate.startswith("/console/"):
        try:
            adapter.match(candidate, method="GET")
        except RequestRedirect:
            return candidate  # a slash added by the router: the page exists
        except HTTPException:
            candidate = candidate.rsplit("/", 1)[0]
            continue
        return target if candidate == path else candidate
    return url_for("console.home")


def _login_page(error: str = "", status: int = 200) -> ResponseReturnValue:
    next_path = safe_next(request.values.get("next"))
    username = request.form.get("username", "")[:64]
    return (
        render_template("console/login.html", error=error, next=next_path, username=username),
        status,
    )


def login() -> ResponseReturnValue:
    """The sign-in page and form."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.values.get("next")))
    if request.method == "GET":
        return _login_page()
    ip_hash = audit.request_ip_hash()
    if not loginguard.take_ip_attempt(ip_hash):
        with runtime.current().db.session() as db_session:
            audit.record(db_session, loginguard.ANONYMOUS, "login.throttled", detail="per-IP limit")
        minutes = runtime.current().settings.LOGIN_IP_WINDOW_MINUTES
        message = _(
            "Too many failed sign-in attempts from your network. "
            "Wait %(minutes)d minutes and try again.",
            minutes=minutes,
        )
        return _login_page(message, 429)
    outcome = loginguard.attempt(request.form.get("username", ""), request.form.get("password", ""))
    if outcome.user is None:
        return _login_page(
            _(
                "Sign-in failed: wrong username or password, or the account is disabled "
                "or temporarily locked after too many attempts."
            )
        )
    loginguard.refund_ip_attempt(ip_hash)
    target = safe_next(request.form.get("next"))
    session.clear()  # nothing from before sign-in survives (session fixation)
    login_user(outcome.user, remember=False)
    session[LAST_SEEN] = time.time()
    return redirect(target)


def logout() -> ResponseReturnValue:
    """Sign out (POST only, with the CSRF token)."""
    if current_user.is_authenticated:
        with runtime.current().db.session() as db_session:
            user = db_session.get(User, current().id)
            if user is not None:
                # The session lives in a signed cookie: clearing this browser's
                # copy left any other copy (a shared office PC) signed in.
                # Signing out therefore ends every session of the account.
                user.end_sessions()
            audit.record(db_session, current().username, "logout", "user", current().username)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("console.login"))


def enforce_inactivity() -> ResponseReturnValue | None:
    """Sign out a session idle for longer than SESSION_MINUTES."""
    if not is_console_path(request.path) or (request.endpoint or "").endswith(".static"):
        return None
    if "_user_id" not in session:
        return None
    now = time.time()
    last = session.get(LAST_SEEN)
    limit = runtime.current().settings.SESSION_MINUTES * 60
    if isinstance(last, int | float) and 0 <= now - last <= limit:
        session[LAST_SEEN] = now
        return None
    if current_user.is_authenticated:
        with runtime.current().db.session() as db_session:
            name = current().username
            audit.record(db_session, name, "logout", "user", name, "session timed out")
    logout_user()
    session.clear()
    flash(_("Your session expired after a period of inactivity. Please sign in again."), "info")
    next_path = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("console.login", next=next_path))
