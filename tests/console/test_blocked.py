"""Messages → Blocked numbers: block, list (masked), unblock, audit, access."""

from __future__ import annotations

import html
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from gateway import runtime
from gateway.models import Contact, Message
from tests.console.case_helpers import load_directory, post
from tests.console.conftest import audit_actions
from tests.support import count, post_twilio, twilio_sms

Client = Callable[[str], FlaskClient]
PATH = "/console/messages/blocked"
NUMBER = "+22376123445"


def _contact() -> Contact | None:
    with runtime.current().db.session() as session:
        return Contact.find(session, NUMBER)


def test_block_a_number_as_people_write_it_then_unblock_it(
    app: Flask, client_as: Client, client: FlaskClient
) -> None:
    coordinator = client_as("coordinator")
    response = post(coordinator, PATH, {"number": "76 12 34 45"}, page=PATH)
    assert response.status_code == 302
    contact = _contact()
    assert contact is not None and contact.blocked
    page = coordinator.get(PATH).get_data(as_text=True)
    assert "76123445" not in page and "45" in page  # masked
    assert ("coordinator1", "numbers.block", str(contact.id), "") in audit_actions()
    assert all(NUMBER not in row[3] for row in audit_actions())

    # Stored, never answered.
    post_twilio(client, "/webhooks/twilio/sms", twilio_sms("SM" + "1" * 32, NUMBER, "Bonjour"))
    assert count(Message, Message.direction == "in") == 1
    assert count(Message, Message.direction == "out") == 0

    response = post(coordinator, f"{PATH}/{contact.id}/unblock", {}, page=PATH)
    assert response.status_code == 302
    assert not _contact().blocked  # type: ignore[union-attr]
    assert ("coordinator1", "numbers.unblock", str(contact.id), "") in audit_actions()
    assert post(coordinator, f"{PATH}/{contact.id}/unblock", {}, page=PATH).status_code == 404


def test_an_invalid_number_blocks_nothing(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    response = post(admin, PATH, {"number": "not a number"}, page=PATH)
    assert response.status_code == 302
    assert "Écrivez-le comme +223 70 00 01 01" in admin.get(PATH).get_data(as_text=True)  # French
    with runtime.current().db.session() as session:
        assert session.query(Contact).count() == 0


def test_only_roles_with_messages_view(app: Flask, client_as: Client) -> None:
    assert client_as("admin").get(PATH).status_code == 200
    for role in ("agency", "trainer"):
        client = client_as(role)
        assert client.get(PATH).status_code == 403
        assert post(client, PATH, {"number": NUMBER}).status_code == 403
    assert _contact() is None


def test_a_focal_points_number_is_not_blocked(app: Flask, client_as: Client) -> None:
    """Blocking it silently dropped their answers to referrals (OK, FIN…) and,
    since, skips them for new referrals: they leave through the directory."""
    load_directory()
    coordinator = client_as("coordinator")
    post(coordinator, PATH, {"number": "66 00 01 02"}, page=PATH)  # iom-bko-bm
    with runtime.current().db.session() as session:
        contact = Contact.find(session, "+22366000102")
        assert contact is not None and not contact.blocked
    page = html.unescape(coordinator.get(PATH).get_data(as_text=True))
    assert "appartient à un point focal" in page
    assert [a for a in audit_actions() if a[1] == "numbers.block"] == []
