"""Console fixtures: users per role, a CSRF-aware login, signed-in clients.

``make_user("ana", "agency", agency="iom")`` creates an account with
:data:`PASSWORD`; ``login(client, "ana")`` signs in through the real form;
``client_as("coordinator")`` is a fresh client already signed in with that
role (agency users belong to ``iom``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from gateway import runtime
from gateway.models import AuditEvent, User

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/console/login") -> str:
    """The CSRF token of the form on ``path`` (for this client's session)."""
    page = client.get(path)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def login(
    client: FlaskClient, username: str, password: str = PASSWORD, **extra: str
) -> TestResponse:
    """Sign in through the login form (with its CSRF token)."""
    form = {"csrf_token": csrf_token(client), "username": username, "password": password}
    form.update(extra)
    return client.post("/console/login", data=form)


def create_user(
    username: str,
    role: str,
    *,
    agency: str | None = None,
    password: str = PASSWORD,
    language: str | None = None,
) -> User:
    """Add an account directly in the database."""
    with runtime.current().db.session() as session:
        user = User(username=username, role=role, agency_id=agency, language=language)
        user.set_password(password)
        session.add(user)
    return user


def get_user(username: str) -> User:
    """The account ``username`` as stored now."""
    with runtime.current().db.session() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        session.expunge(user)
        return user


def audit_actions() -> list[tuple[str, str, str, str]]:
    """Every audit event as (actor, action, target_id, detail), oldest first."""
    with runtime.current().db.session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.actor, e.action, e.target_id, e.detail) for e in rows]


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """``make_user(username, role, agency=None, password=PASSWORD, language=None)``."""
    return create_user


@pytest.fixture
def client_as(app: Flask) -> Callable[[str], FlaskClient]:
    """``client_as(role)``: a new client signed in as a new user with ``role``."""
    made: dict[str, int] = {}

    def build(role: str) -> FlaskClient:
        made[role] = made.get(role, 0) + 1
        name = f"{role}{made[role]}"
        create_user(name, role, agency="iom" if role == "agency" else None)
        client = app.test_client()
        response = login(client, name)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return build
