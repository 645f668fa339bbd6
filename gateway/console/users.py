"""The console's Accounts pages (blueprint ``console_users``, ``users.manage``: admins).

* ``GET /console/users``: every account — role, agency, status (active,
  disabled, locked), console language, last sign-in — and the form to add one.
* ``POST /console/users``: add an account (password typed twice, checked as
  ``relais users add`` checks it).
* ``GET /console/users/<id>``: one account, with its actions.
* ``POST /console/users/<id>/<disable|enable|unlock>``: disabling ends the
  account's open sessions. An administrator cannot disable their own account,
  so one who acts always remains (``relais users enable`` on the server is
  the way back for anyone else).
* ``POST /console/users/<id>/password``: set a new password (typed twice);
  open sessions end and a lock-out is lifted.

Every change is audited with the administrator as the actor
(:mod:`gateway.accounts`, shared with ``relais users``). Password hashes are
never shown.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway import accounts, runtime
from gateway.console import ROLE_LABELS, auth, case_labels
from gateway.console import permissions as perms
from gateway.console.cases import when
from gateway.models.user import (
    LANGUAGES,
    MIN_PASSWORD_LENGTH,
    ROLES,
    User,
    normalize_username,
    password_problem,
    username_problem,
)

bp = Blueprint("console_users", __name__, url_prefix="/console")
FIELD_MAX = 1024
PASSWORD_RULE = _l(
    "At least %(length)d characters with at least 5 different ones; not a common password"
    " and not containing the username.",
    length=MIN_PASSWORD_LENGTH,
)
USERNAME_RULE = _l(
    "3 to 64 characters among a-z 0-9 . _ - starting with a letter or a digit;"
    " anonymous, system and cli are reserved."
)


def _form(name: str) -> str:
    return request.form.get(name, "")[:FIELD_MAX]


def _password_error(username: str) -> str | None:
    """Why the two password fields cannot be used, in the page's language."""
    password = _form("password")
    if password != _form("password_again"):
        return str(_("The two passwords differ."))
    if password_problem(password, username):
        return str(_("Password refused. %(rule)s", rule=PASSWORD_RULE))
    return None


def _page(status: int = 200, **errors: Any) -> ResponseReturnValue:
    with runtime.current().db.session() as session:
        users = list(session.scalars(select(User).order_by(User.username)))
        agencies = case_labels.agency_choices(session)
        session.expunge_all()
    context = {"users": users, "agencies": agencies, "roles": ROLES, "role_labels": ROLE_LABELS}
    return render_template(
        "console/users/index.html",
        **context,
        account_languages=LANGUAGES,
        username_rule=USERNAME_RULE,
        password_rule=PASSWORD_RULE,
        form=request.form if request.method == "POST" else {},
        when=when,
        **errors,
    ), status


@bp.get("/users")
@perms.requires(perms.USERS_MANAGE)
def index() -> ResponseReturnValue:
    """Every account, and the form to add one."""
    return _page()


@bp.post("/users")
@perms.requires(perms.USERS_MANAGE)
def add() -> ResponseReturnValue:
    """Add the account described by the form; the page again, with errors, when refused."""
    name = normalize_username(_form("username"))
    role, agency, language = _form("role"), _form("agency") or None, _form("language") or None
    if username_problem(name):
        return _page(422, error=_("Username refused. %(rule)s", rule=USERNAME_RULE))
    if role not in ROLES or (language is not None and language not in LANGUAGES):
        return _page(422, error=_("Choose a role and a language from the lists."))
    with runtime.current().db.session() as session:
        known = accounts.agency_ids(session) or []
        taken = User.by_username(session, name) is not None
    if role == "agency" and agency not in known:
        return _page(422, error=_("Agency staff need an agency of the directory in force."))
    if taken:
        return _page(422, error=_("An account %(name)s already exists.", name=name))
    problem = _password_error(name)
    if problem:
        return _page(422, error=problem)
    try:
        with runtime.current().db.session() as session:
            accounts.add(
                session,
                auth.current().username,
                username=name,
                role=role,
                agency=agency if role == "agency" else None,
                language=language,
                password=_form("password"),
            )
    except IntegrityError:  # added meanwhile by someone else
        return _page(422, error=_("An account %(name)s already exists.", name=name))
    flash(_("Account %(name)s added.", name=name), "success")
    return redirect(url_for("console_users.index"))


def _account(user_id: int, status: int = 200, **errors: Any) -> ResponseReturnValue:
    with runtime.current().db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            abort(404)
        session.expunge(user)
    return render_template(
        "console/users/detail.html",
        user=user,
        role_labels=ROLE_LABELS,
        password_rule=PASSWORD_RULE,
        is_self=user.id == auth.current().id,
        when=when,
        **errors,
    ), status


@bp.get("/users/<int:user_id>")
@perms.requires(perms.USERS_MANAGE)
def detail(user_id: int) -> ResponseReturnValue:
    """One account and what can be done to it."""
    return _account(user_id)


@bp.post("/users/<int:user_id>/<any(disable, enable, unlock):action>")
@perms.requires(perms.USERS_MANAGE)
def change(user_id: int, action: str) -> ResponseReturnValue:
    """Disable, enable or unlock the account."""
    me = auth.current()
    with runtime.current().db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            abort(404)
        if action == "disable" and user.id == me.id:
            return _account(user_id, 422, error=_("You cannot disable your own account."))
        accounts.apply(session, me.username, user, f"user.{action}")
        name = user.username
    messages = {
        "disable": _("%(name)s is disabled: their open sessions have ended.", name=name),
        "enable": _("%(name)s can sign in again.", name=name),
        "unlock": _("%(name)s is unlocked.", name=name),
    }
    flash(messages[action], "success")
    return redirect(url_for("console_users.detail", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@perms.requires(perms.USERS_MANAGE)
def password(user_id: int) -> ResponseReturnValue:
    """Set the account's password (typed twice)."""
    with runtime.current().db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            abort(404)
        problem = _password_error(user.username)
        if problem is None:
            accounts.set_password(session, auth.current().username, user, _form("password"))
            session.flush()
            session.expunge(user)
        name = user.username
    if problem is not None:
        return _account(user_id, 422, password_error=problem)
    if user.id == auth.current().id:
        # Their other sessions end; this one goes on under the new session epoch.
        login_user(user, remember=False)
    flash(_("Password of %(name)s changed: their open sessions have ended.", name=name), "success")
    return redirect(url_for("console_users.detail", user_id=user_id))
