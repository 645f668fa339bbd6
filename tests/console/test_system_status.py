"""Messages → System status: problems first with advice, then the figures; access by role."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from gateway import runtime
from gateway.embedded_redis import EmbeddedRedis
from gateway.models import Contact
from gateway.outbox import queue_outbound

Client = Callable[[str], FlaskClient]
PATH = "/console/messages/status"


def problems(page: str) -> list[str]:
    """The problems the page lists, in order."""
    return re.findall(r'data-problem="([a-z_]+)"', page)


def figure(page: str, name: str) -> str:
    """The text of the figure cell ``name``."""
    match = re.search(rf'data-figure="{re.escape(name)}">([^<]*)<', page)
    assert match, name
    return match.group(1).strip()


def test_only_roles_with_messages_see_it(app: Flask, client_as: Client) -> None:
    for role in ("admin", "coordinator"):
        assert client_as(role).get(PATH).status_code == 200
    for role in ("agency", "trainer"):
        assert client_as(role).get(PATH).status_code == 403


def test_problems_come_first_with_the_figures_behind_them(app: Flask, client_as: Client) -> None:
    client = client_as("coordinator")
    page = client.get(PATH).get_data(as_text=True)
    assert problems(page) == ["no_worker"]  # no worker runs in this test
    assert 'aria-current="page">' in page  # the sub-navigation marks this page
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, "+22376123445")
        queue_outbound(session, contact=contact, text="Bonjour", channel="sandbox")
    page = client.get(PATH).get_data(as_text=True)
    assert figure(page, "out-queued") == "1"
    assert figure(page, "queue-high") == "1"
    assert figure(page, "referrals_overdue") == "0"
    assert "76123445" not in page and "Bonjour" not in page


def test_redis_down_is_named_and_its_figures_left_out(
    app: Flask, client_as: Client, redis_server: EmbeddedRedis
) -> None:
    client = client_as("coordinator")  # signing in needs Redis (login throttle)
    redis_server.stop()  # the next test's redis_url fixture starts it again
    page = client.get(PATH).get_data(as_text=True)
    assert problems(page) == ["redis_down"]
    assert 'data-figure="queue-high"' not in page
    assert figure(page, "out-queued") == "0"


def test_the_home_page_tells_operators_first(app: Flask, client_as: Client) -> None:
    page = client_as("coordinator").get("/console/").get_data(as_text=True)
    assert "home-attention" in page and 'href="/console/messages/status"' in page
    assert "1 problème demande votre attention." in page  # no worker runs here; French default
    agency = client_as("agency").get("/console/").get_data(as_text=True)
    assert "home-attention" not in agency  # not their business (no messages.view)
