"""Who may do what in the console: one explicit table, role → permissions.

Views declare what they need with :func:`requires` (any of the permissions
given); code asks with :func:`can`. Report queries are scoped with
:func:`visible_agency_ids` / :func:`agency_filter`, case queries with
:func:`case_filter` / :func:`can_see_case`, which add the training cases that
``cases.view_training`` opens (trainers: training cases of every agency and
never a real one). What a user may act on (``cases.act``) is what they may
see: a trainer acts on training cases only. Every console view must
declare its access (``requires``, ``signed_in`` or ``public``): the console
refuses (403) a view that declares nothing, so a forgotten decorator fails
closed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import ColumnElement, false, or_, true

F = TypeVar("F", bound=Callable[..., Any])

CASES_VIEW_ALL = "cases.view_all"
CASES_VIEW_AGENCY = "cases.view_agency"
# Training cases (simulator data) of every agency, and nothing real unless
# another permission opens it.
CASES_VIEW_TRAINING = "cases.view_training"
CASES_ACT = "cases.act"
DIRECTORY_VIEW = "directory.view"
DIRECTORY_EDIT = "directory.edit"
MESSAGES_VIEW = "messages.view"
REPORTS_VIEW_ALL = "reports.view_all"
REPORTS_VIEW_AGENCY = "reports.view_agency"
SIMULATOR_USE = "simulator.use"
USERS_MANAGE = "users.manage"
AUDIT_VIEW = "audit.view"
EXPORT_PERSONAL = "export.personal"
EXPORT_PSEUDONYMISED = "export.pseudonymised"

# Any of these opens the Cases pages (each with its own scope).
CASES_VIEW_ANY = (CASES_VIEW_ALL, CASES_VIEW_AGENCY, CASES_VIEW_TRAINING)

# The whole access model. Change it here and nowhere else.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            CASES_VIEW_ALL,
            CASES_ACT,
            DIRECTORY_VIEW,
            DIRECTORY_EDIT,
            MESSAGES_VIEW,
            REPORTS_VIEW_ALL,
            SIMULATOR_USE,
            USERS_MANAGE,
            AUDIT_VIEW,
            EXPORT_PERSONAL,
        }
    ),
    "coordinator": frozenset(
        {
            CASES_VIEW_ALL,
            CASES_ACT,
            DIRECTORY_VIEW,
            MESSAGES_VIEW,
            REPORTS_VIEW_ALL,
            SIMULATOR_USE,
            EXPORT_PSEUDONYMISED,
        }
    ),
    # Agency staff: only their own agency's referrals and figures.
    "agency": frozenset(
        {
            CASES_VIEW_AGENCY,
            CASES_ACT,
            DIRECTORY_VIEW,
            REPORTS_VIEW_AGENCY,
            EXPORT_PSEUDONYMISED,
        }
    ),
    # Trainers demo the whole loop with training data and see nothing real:
    # the simulator, and the console's side of the training cases it makes
    # (acting on them too: their SMS only ever go to the sandbox).
    "trainer": frozenset({SIMULATOR_USE, CASES_VIEW_TRAINING, CASES_ACT}),
}
ALL_PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())

ACCESS_ATTR = "_relais_access"


def _role(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", False):
        return None
    role = getattr(user, "role", None)
    return role if isinstance(role, str) else None


def permissions_of(user: Any) -> frozenset[str]:
    """Every permission ``user`` holds (none when anonymous or disabled)."""
    role = _role(user)
    return ROLE_PERMISSIONS.get(role, frozenset()) if role else frozenset()


def can(user: Any, permission: str) -> bool:
    """True when ``user`` holds ``permission``; unknown permission names raise."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in permissions_of(user)


def can_any(user: Any, *permissions: str) -> bool:
    """True when ``user`` holds at least one of ``permissions``."""
    return any(can(user, p) for p in permissions)


def visible_agency_ids(user: Any) -> set[str] | None:
    """Agencies whose cases ``user`` may see: None means all, an empty set none."""
    if can(user, CASES_VIEW_ALL):
        return None
    if can(user, CASES_VIEW_AGENCY):
        agency = getattr(user, "agency_id", None)
        return {agency} if agency else set()
    return set()


def can_see_agency(user: Any, agency_id: str | None) -> bool:
    """True when ``user`` may see a case held by ``agency_id``."""
    ids = visible_agency_ids(user)
    return ids is None or (agency_id is not None and agency_id in ids)


def agency_filter(user: Any, column: Any) -> ColumnElement[bool]:
    """A WHERE clause limiting ``column`` (an agency id column) to what ``user`` may see.

    ``select(Referral).where(agency_filter(user, Referral.agency_id))``.
    """
    ids = visible_agency_ids(user)
    if ids is None:
        return true()
    if not ids:
        return false()
    clause: ColumnElement[bool] = column.in_(sorted(ids))
    return clause


def training_only(user: Any) -> bool:
    """True when the only cases ``user`` may see are training ones (never a real case)."""
    return can(user, CASES_VIEW_TRAINING) and visible_agency_ids(user) == set()


def can_see_case(user: Any, agency_id: str | None, training: bool) -> bool:
    """True when ``user`` may see a case held by ``agency_id`` (None: not routed yet).

    ``training`` is the alert's ``is_training``: ``cases.view_training`` opens
    every training case, whatever its agency, and no real one.
    """
    return can_see_agency(user, agency_id) or (training and can(user, CASES_VIEW_TRAINING))


def case_filter(user: Any, agency_column: Any, training_column: Any) -> ColumnElement[bool]:
    """A WHERE clause limiting cases to those ``user`` may see (as :func:`can_see_case`).

    ``agency_column`` is the current referral's agency id (NULL before
    routing), ``training_column`` the alert's ``is_training``.
    """
    clause = agency_filter(user, agency_column)
    if can(user, CASES_VIEW_TRAINING):
        clause = or_(clause, training_column.is_(True))
    return clause


def _mark(view: Callable[..., Any], access: tuple[str, ...] | str) -> None:
    setattr(view, ACCESS_ATTR, access)


def requires(*permissions: str) -> Callable[[F], F]:
    """Decorate a view: signed in (else the login page) and any of ``permissions`` (else 403)."""
    unknown = [p for p in permissions if p not in ALL_PERMISSIONS]
    if not permissions or unknown:
        raise ValueError(f"requires() needs known permissions, got {permissions!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not can_any(current_user, *permissions):
                abort(403)
            return view(*args, **kwargs)

        _mark(wrapper, tuple(permissions))
        return cast(F, wrapper)

    return decorator


def signed_in(view: F) -> F:
    """Decorate a view any signed-in user may see (e.g. the home page)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return view(*args, **kwargs)

    _mark(wrapper, "signed_in")
    return cast(F, wrapper)


def public(view: F) -> F:
    """Decorate a console view anyone may reach (login, language switch)."""
    _mark(view, "public")
    return view


def declared_access(view: Callable[..., Any] | None) -> tuple[str, ...] | str | None:
    """What a view declared with the decorators above (None: nothing)."""
    access: tuple[str, ...] | str | None = getattr(view, ACCESS_ATTR, None)
    return access
