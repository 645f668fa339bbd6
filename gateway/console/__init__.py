"""The web console: staff sign in to follow cases, the directory, messages and reports.

:func:`init_app` registers the ``console`` blueprint under ``/console`` (home,
login, logout, language switch, static files), ``/`` redirecting to it,
sign-in (:mod:`.auth`), security headers, cookies and CSRF (:mod:`.security`)
and the languages (:mod:`.i18n`). Pages colleagues add use::

    from gateway.console import bp                    # or their own blueprint
    from gateway.console.permissions import requires, can, visible_agency_ids
    from gateway.console.auth import current          # the signed-in User
    from gateway import audit                         # audit.record(...)

and extend ``console/base.html`` (blocks ``title``, ``content``, ``head``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from gateway import runtime
from gateway.console import auth, form_once, i18n, security
from gateway.console import permissions as perms
from gateway.logs import get_logger

log = get_logger(__name__)

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@dataclass(frozen=True)
class NavItem:
    """A console area in the navigation and on the home page."""

    key: str
    path: str
    label: Any
    description: Any
    any_of: tuple[str, ...]


NAV = (
    NavItem(
        "cases",
        "/console/cases",
        _l("Cases"),
        _l("Follow alerts and referrals, accept, transfer and close them."),
        perms.CASES_VIEW_ANY,
    ),
    NavItem(
        "directory",
        "/console/directory",
        _l("Directory"),
        _l("Agencies, focal points and routing rules."),
        (perms.DIRECTORY_VIEW,),
    ),
    NavItem(
        "messages",
        "/console/messages",
        _l("Messages"),
        _l("SMS and USSD messages in and out, and their delivery."),
        (perms.MESSAGES_VIEW,),
    ),
    NavItem(
        "simulator",
        "/console/simulator",
        _l("Simulator"),
        _l("Demonstrate the whole loop on a simulated phone (training data)."),
        (perms.SIMULATOR_USE,),
    ),
    NavItem(
        "reports",
        "/console/reports",
        _l("Reports"),
        _l("Figures on alerts, referrals and response times."),
        (perms.REPORTS_VIEW_ALL, perms.REPORTS_VIEW_AGENCY),
    ),
    NavItem(
        "users",
        "/console/users",
        _l("Accounts"),
        _l("Who may sign in to this console, with which role."),
        (perms.USERS_MANAGE,),
    ),
    NavItem(
        "cards",
        "/console/cards",
        _l("Printable cards"),
        _l("What focal points, reporters and community relays send by SMS, to print."),
        tuple(sorted(perms.ALL_PERMISSIONS)),
    ),
    NavItem(
        "audit",
        "/console/audit",
        _l("Audit log"),
        _l("Who opened, revealed, exported or changed what, and when."),
        (perms.AUDIT_VIEW,),
    ),
)
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "agency": _l("Agency staff"),
    "trainer": _l("Trainer"),
}
ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The form may have expired: go back, reload it and try again.")),
    403: (_l("Access denied"), _l("Your role does not give access to this page.")),
    404: (_l("Page not found"), _l("This page does not exist or is not available yet.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many attempts"), _l("Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("The error was recorded. Try again in a moment.")),
}
# Stored data that no configured key opens: an operator must fix DATA_KEYS.
UNDECRYPTABLE = (
    _l("Data cannot be decrypted"),
    _l(
        "Some stored data cannot be decrypted with the configured DATA_KEYS: a key was"
        " probably removed before `relais keys rotate` finished. Ask the administrator to"
        " put the old key back (after the new one) and run the rotation again."
    ),
)


def nav_for(user: Any) -> list[NavItem]:
    """The areas ``user`` may open, in menu order."""
    return [item for item in NAV if perms.can_any(user, *item.any_of)]


@bp.get("/")
@perms.signed_in
def home() -> ResponseReturnValue:
    """The role-aware dashboard; for operators, what needs attention first."""
    attention: list[str] = []
    if perms.can(current_user, perms.MESSAGES_VIEW):
        from gateway import status

        rt = runtime.current()
        attention = status.take(rt.db, rt.redis).problems
    return render_template("console/home.html", attention=attention)


@bp.post("/language")
@perms.public
def set_language() -> ResponseReturnValue:
    """Switch the console language (kept in the session and the user's preference)."""
    lang = request.form.get("lang", "")
    if lang not in i18n.LANGUAGES:
        abort(400)
    session[i18n.SESSION_KEY] = lang
    if current_user.is_authenticated:
        from gateway.models.user import User

        with runtime.current().db.session() as db_session:
            user = db_session.get(User, auth.current().id)
            if user is not None:
                user.language = lang
        current_user.language = lang
    return redirect(auth.readable_page(auth.safe_next(request.form.get("next"))))


def _root() -> ResponseReturnValue:
    return redirect(url_for("console.home"))


def _default_deny() -> None:
    """Refuse (403) a console view that declares no access rule."""
    endpoint = request.endpoint
    if not endpoint or endpoint.endswith(".static") or not security.is_console_path(request.path):
        return
    if perms.declared_access(current_app.view_functions.get(endpoint)) is None:
        log.warning("console_view_without_access_rule", endpoint=endpoint)
        abort(403)


def _template_context() -> dict[str, Any]:
    user = current_user
    return {
        "nav_items": nav_for(user),
        "can": lambda permission: perms.can(user, permission),
        "role_label": ROLE_LABELS.get(getattr(user, "role", ""), ""),
        "current_language": i18n.select_locale(),
        "languages": {"fr": "Français", "en": "English"},
        "once_field": form_once.once_field,  # case action forms (gateway.console.form_once)
    }


def error_page(
    exc: HTTPException | None, code: int, texts: tuple[Any, Any] | None = None
) -> Response:
    """An HTML error page for console paths (plain text if even that fails)."""
    title, text = texts or ERROR_TEXTS.get(code, ERROR_TEXTS[500 if code >= 500 else 400])
    try:
        body = render_template("console/error.html", code=code, title=title, text=text)
    except Exception as render_exc:  # the page must not fail: e.g. database down
        log.error("error_page_failed", error=type(render_exc).__name__)
        body = f"{code}"
        response = Response(body, status=code, mimetype="text/plain")
    else:
        response = Response(body, status=code, mimetype="text/html")
    if exc is not None and code == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


# Per-request caches the extensions keep in ``g``: the user, the CSRF token, the locale.
_REQUEST_CACHES = ("_login_user", "csrf_token", "_flask_babel")


def _fresh_request_state() -> None:
    """Forget the extensions' per-request caches at the start of each request.

    ``g`` belongs to the app context, which outlives a request when one was
    pushed beforehand (CLI commands, jobs, tests): a user or CSRF token must
    never carry over from one request to the next.
    """
    for name in _REQUEST_CACHES:
        g.pop(name, None)


def _refuse_nul() -> None:
    """Refuse (400) a console request with a NUL character in its path or fields.

    No form needs one, and PostgreSQL refuses NUL in text: the query would fail
    with a 500 instead of a clear error.
    """
    if not security.is_console_path(request.path):
        return
    fields = [*request.args.items(multi=True), *request.form.items(multi=True)]
    if "\x00" in request.path or any("\x00" in k + v for k, v in fields):
        abort(400)


bp.before_app_request(_fresh_request_state)
bp.before_app_request(_refuse_nul)
bp.add_url_rule("/login", "login", perms.public(auth.login), methods=["GET", "POST"])
bp.add_url_rule("/logout", "logout", perms.public(auth.logout), methods=["POST"])
bp.before_app_request(auth.enforce_inactivity)
bp.before_app_request(_default_deny)
bp.app_context_processor(_template_context)


def init_app(app: Flask) -> None:
    """Install the console on ``app`` (call once from ``create_app``)."""
    security.configure(app, app.extensions["relais"].settings)
    i18n.init_app(app)
    auth.login_manager.init_app(app)
    app.register_blueprint(bp)
    from gateway.console import (  # noqa: F401  (places, history, route: on directory.bp)
        directory,
        directory_history,
        directory_route,
        places,
    )

    app.register_blueprint(directory.bp)
    from gateway.console import audit_log, cards, reports_views, simulator, users

    for pages in (simulator, reports_views, users, audit_log, cards):
        app.register_blueprint(pages.bp)
    # Cases and Messages (``blocked`` and ``system_status`` add pages to Messages).
    from gateway.console import (  # noqa: F401
        blocked,
        case_actions,
        cases,
        export,
        messages,
        system_status,
    )

    for pages in (export, cases, case_actions, messages):
        app.register_blueprint(pages.bp)
    app.add_url_rule("/", "console_root", perms.public(_root))
