"""Messages → System status: problems first with advice, then the figures; access by role."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import runtime
from gateway.console.system_status import PAGES, problem_links
from gateway.db import utcnow
from gateway.embedded_redis import EmbeddedRedis
from gateway.models import Alert, Contact
from gateway.outbox import queue_outbound
from tests.console.case_helpers import current_referral, load_directory, make_case

Client = Callable[[str], FlaskClient]
PATH = "/console/messages/status"


@dataclass
class Role:
    """A signed-in user of ``role``, as the permission checks see one."""

    role: str
    is_authenticated: bool = True
    is_active: bool = True


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


def test_each_problem_links_to_the_page_where_it_is_handled(app: Flask, client_as: Client) -> None:
    reference = make_case(route=False, phone="+22376000222")  # waits for routing...
    with runtime.current().db.session() as session:
        alert = session.scalars(select(Alert).where(Alert.reference == reference)).one()
        alert.created_at = utcnow() - dt.timedelta(minutes=5)  # ...for too long
    client = client_as("coordinator")
    page = client.get(PATH).get_data(as_text=True)
    assert problems(page) == ["no_worker", "alerts_unrouted"]
    link = re.search(r'data-problem="alerts_unrouted">[^<]*<a href="([^"]+)"', page)
    assert link and link.group(1) == "/console/cases?status=unrouted"
    assert reference in client.get(html.unescape(link.group(1))).get_data(as_text=True)
    # Every link of every problem opens (for the roles that see this page).
    with app.test_request_context():
        links = problem_links(Role("admin"), list(PAGES))
    assert set(links) == set(PAGES)
    for url, text in links.values():
        assert text and client.get(url).status_code == 200, url


def test_links_need_the_permission_of_their_page(app: Flask) -> None:
    with app.test_request_context():
        assert "alerts_unrouted" not in problem_links(Role("trainer"), ["alerts_unrouted"])
        assert "failed_jobs" in problem_links(Role("trainer"), ["failed_jobs"])  # the page's own


def test_a_referral_nobody_answered_at_the_end_of_its_chain_needs_attention(
    app: Flask, client_as: Client
) -> None:
    load_directory()
    reference = make_case()
    with current_referral(reference) as (_session, referral):
        referral.due_at, referral.answer_by = None, utcnow() - dt.timedelta(minutes=1)
    page = client_as("coordinator").get(PATH).get_data(as_text=True)
    assert problems(page) == ["no_worker", "referrals_unanswered"]
    assert figure(page, "referrals_unanswered") == "1"
    assert 'data-problem="referrals_unanswered">' in page
    assert 'href="/console/cases?overdue=1"' in page
