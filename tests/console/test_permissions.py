"""The access model: the role table, ``can``, ``requires``, agency scoping, navigation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import create_app, runtime
from gateway.console import permissions as perms
from gateway.models import Referral, User
from gateway.models.user import ROLES
from tests.console.conftest import create_user, login


def account(role: str, agency: str | None = None, active: bool = True) -> SimpleNamespace:
    """A stand-in user for pure permission checks."""
    return SimpleNamespace(is_authenticated=True, is_active=active, role=role, agency_id=agency)


ANONYMOUS = SimpleNamespace(is_authenticated=False, is_active=False, role=None)


def test_every_role_has_a_row_and_trainer_only_simulates_and_follows_training() -> None:
    assert set(perms.ROLE_PERMISSIONS) == set(ROLES)
    assert perms.ROLE_PERMISSIONS["trainer"] == {
        perms.SIMULATOR_USE,
        perms.CASES_VIEW_TRAINING,
        perms.CASES_ACT,
    }


@pytest.mark.parametrize(
    ("permission", "roles"),
    [
        ("cases.view_all", {"admin", "coordinator"}),
        ("cases.view_agency", {"agency"}),
        ("cases.view_training", {"trainer"}),
        ("cases.act", {"admin", "coordinator", "agency", "trainer"}),
        ("directory.view", {"admin", "coordinator", "agency"}),
        ("directory.edit", {"admin"}),
        ("messages.view", {"admin", "coordinator"}),
        ("reports.view_all", {"admin", "coordinator"}),
        ("reports.view_agency", {"agency"}),
        ("simulator.use", {"admin", "coordinator", "trainer"}),
        ("users.manage", {"admin"}),
        ("audit.view", {"admin"}),
        ("export.personal", {"admin"}),
        ("export.pseudonymised", {"coordinator", "agency"}),
    ],
)
def test_permission_table(permission: str, roles: set[str]) -> None:
    assert {role for role in ROLES if perms.can(account(role, "iom"), permission)} == roles


def test_nobody_without_an_active_account() -> None:
    assert not perms.can(ANONYMOUS, perms.SIMULATOR_USE)
    assert not perms.can(account("admin", active=False), perms.USERS_MANAGE)
    assert not perms.can(account("superuser"), perms.CASES_VIEW_ALL)
    with pytest.raises(ValueError, match="unknown permission"):
        perms.can(account("admin"), "cases.view_everything")
    with pytest.raises(ValueError):
        perms.requires("no.such.permission")


def test_visible_agency_ids() -> None:
    assert perms.visible_agency_ids(account("admin")) is None
    assert perms.visible_agency_ids(account("coordinator")) is None
    assert perms.visible_agency_ids(account("agency", "iom")) == {"iom"}
    assert perms.visible_agency_ids(account("agency", None)) == set()
    assert perms.visible_agency_ids(account("trainer")) == set()
    assert perms.visible_agency_ids(ANONYMOUS) == set()
    assert perms.can_see_agency(account("agency", "iom"), "iom")
    assert not perms.can_see_agency(account("agency", "iom"), "dnds")
    assert perms.can_see_agency(account("coordinator"), "dnds")


def test_agency_filter_scopes_a_query(app: Flask) -> None:
    def where(user: SimpleNamespace) -> str:
        query = select(Referral.id).where(perms.agency_filter(user, Referral.agency_id))
        return str(query.compile(compile_kwargs={"literal_binds": True}))

    assert "WHERE" not in where(account("coordinator")).replace("WHERE true", "")
    assert "referrals.agency_id IN ('iom')" in where(account("agency", "iom"))
    assert "false" in where(account("trainer")).lower() or "0 = 1" in where(account("trainer"))


@pytest.fixture
def gated_app(app_config: dict[str, object]) -> Iterator[Flask]:
    """The app with two tiny test views under /console (registered before any request)."""
    application = create_app(app_config)

    @application.get("/console/test-cases")
    @perms.requires(perms.CASES_VIEW_ALL, perms.CASES_VIEW_AGENCY)
    def cases() -> str:
        return "cases"

    @application.get("/console/test-undeclared")
    def undeclared() -> str:
        return "oops"

    with application.app_context():
        yield application
    application.extensions["relais"].db.dispose()


def _signed_in(app: Flask, role: str) -> FlaskClient:
    create_user(role + "-x", role, agency="iom" if role == "agency" else None)
    client = app.test_client()
    assert login(client, role + "-x").status_code == 302
    return client


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("coordinator", 200), ("agency", 200), ("trainer", 403)]
)
def test_requires_gates_views(gated_app: Flask, role: str, status: int) -> None:
    client = _signed_in(gated_app, role)
    response = client.get("/console/test-cases")
    assert response.status_code == status
    if status == 403:
        assert response.mimetype == "text/html"
        assert "Accès refusé" in response.get_data(as_text=True)


def test_requires_sends_anonymous_users_to_login(gated_app: Flask) -> None:
    response = gated_app.test_client().get("/console/test-cases")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login?next=%2Fconsole%2Ftest-cases"


def test_undeclared_console_view_is_refused_even_to_admin(gated_app: Flask) -> None:
    assert _signed_in(gated_app, "admin").get("/console/test-undeclared").status_code == 403


def test_every_console_view_declares_its_access(app: Flask) -> None:
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if (rule.rule == "/" or rule.rule.startswith("/console"))
        and not rule.endpoint.endswith(".static")
        and perms.declared_access(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_navigation_follows_the_role(client_as: Callable[[str], FlaskClient]) -> None:
    links = ["/console/cases", "/console/directory", "/console/messages", "/console/reports"]
    trainer = client_as("trainer").get("/console/").get_data(as_text=True)
    # Trainers follow their training cases, and open nothing else but the simulator.
    assert 'href="/console/simulator"' in trainer and 'href="/console/cases"' in trainer
    assert not any(f'href="{link}"' in trainer for link in links[1:])
    admin = client_as("admin").get("/console/").get_data(as_text=True)
    assert all(f'href="{link}"' in admin for link in [*links, "/console/simulator"])
    agency = client_as("agency").get("/console/").get_data(as_text=True)
    assert 'href="/console/cases"' in agency and 'href="/console/messages"' not in agency
    assert 'href="/console/simulator"' not in agency


def test_disabled_user_loses_access_at_once(client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("coordinator")
    assert client.get("/console/").status_code == 200
    with runtime.current().db.session() as session:
        user = session.scalars(select(User).where(User.username == "coordinator1")).one()
        user.active = False
    assert client.get("/console/").status_code == 302
