"""A case action form is acted on once (gateway.console.form_once): double clicks."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.embedded_redis import EmbeddedRedis
from tests.console.case_helpers import load_directory, make_case, referrals_of
from tests.console.test_case_actions import act, follow, outbound

Client = Callable[[str], FlaskClient]
ONCE = re.compile(r'name="once" value="([^"]+)"')


@pytest.fixture
def ref(app: Flask) -> str:
    """An IOM case waiting on iom-bko-bm (the reporter wants updates)."""
    load_directory()
    return make_case()


def once_values(client: FlaskClient, reference: str) -> list[str]:
    """The one-time values of the case page's action forms."""
    return ONCE.findall(client.get(f"/console/cases/{reference}").get_data(as_text=True))


def test_every_action_form_of_the_case_page_has_its_own_value(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    values = once_values(client, ref)
    # accept, assign, transfer, note, reply (close needs an accepted referral)
    assert len(values) == 5 and len(set(values)) == 5
    assert set(values).isdisjoint(once_values(client, ref))  # new ones on each page


def test_a_reply_sent_twice_is_one_sms(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    once = once_values(client, ref)[-1]
    follow(client, act(client, ref, "reply", text="Une équipe arrive", once=once))
    second = follow(client, act(client, ref, "reply", text="Une équipe arrive", once=once))
    assert len(outbound("console")) == 1
    assert "Ce formulaire a déjà été envoyé" in html.unescape(second)


def test_a_note_and_an_assignment_sent_twice_are_done_once(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    note, assign = once_values(client, ref)[3], once_values(client, ref)[1]
    for _ in range(2):
        act(client, ref, "note", note="Vu au marché", once=note)
        act(client, ref, "assign", focal_point="iom-bko-fr", once=assign)
    events = [(e.event, e.note) for e in referrals_of(ref)[0].events]
    assert events.count(("note", "Vu au marché")) == 1
    assert events.count(("note", "assigned to iom-bko-fr")) == 1
    assert len(outbound("referral")) == 2  # the first focal point's, then the assignee's


def test_a_refused_action_gives_its_form_back(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    once = once_values(client, ref)[-1]
    refused = act(client, ref, "reply", text="   ", once=once)  # nothing to send
    assert refused.status_code == 400 and outbound("console") == []
    follow(client, act(client, ref, "reply", text="Une équipe arrive", once=once))
    assert len(outbound("console")) == 1


def test_another_user_sending_the_same_value_is_not_stopped(ref: str, client_as: Client) -> None:
    first, second = client_as("coordinator"), client_as("coordinator")
    once = once_values(first, ref)[-1]
    follow(first, act(first, ref, "reply", text="Une équipe arrive", once=once))
    follow(second, act(second, ref, "reply", text="Nous vous rappelons", once=once))
    assert len(outbound("console")) == 2


def test_with_redis_down_the_console_still_acts(
    ref: str, client_as: Client, redis_server: EmbeddedRedis
) -> None:
    client = client_as("coordinator")
    once = once_values(client, ref)[-1]
    redis_server.stop()
    try:
        response = act(client, ref, "reply", text="Une équipe arrive", once=once)
    finally:
        redis_server.start()
    assert response.status_code == 302 and len(outbound("console")) == 1
