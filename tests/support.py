"""Helpers shared by tests: signed provider requests, the worker, database reads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from gateway import runtime
from gateway.models import Alert, Message
from gateway.worker import run_worker
from tests.conftest import AT_TOKEN, TWILIO_TOKEN

PUBLIC = "https://relais.example.org"


def post_twilio(
    client: FlaskClient, path: str, form: dict[str, str], *, sign_url: str | None = None
) -> TestResponse:
    """POST ``form`` to ``path`` signed as Twilio signs it (for the public URL)."""
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(sign_url or PUBLIC + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def twilio_sms(sid: str, sender: str, body: str) -> dict[str, str]:
    """A minimal inbound Twilio SMS form."""
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "From": sender,
        "To": "+22365123456",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


def post_at(client: FlaskClient, path: str, form: dict[str, str]) -> TestResponse:
    """POST ``form`` to an Africa's Talking webhook with the right token."""
    return client.post(f"{path}?token={AT_TOKEN}", data=form)


def work(app: Flask) -> None:
    """Run every queued job now, in this process."""
    run_worker(app, burst=True, with_scheduler=False)


@contextlib.contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the ``with`` block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = runtime.current().db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def count(model: Any, *where: Any) -> int:
    """How many rows of ``model`` match ``where``."""
    with runtime.current().db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def outbound_texts(contact_number: str | None = None) -> list[str]:
    """Bodies of outbound SMS (not USSD screens), oldest first."""
    from gateway.models import Contact

    with runtime.current().db.session() as session:
        query = select(Message).where(Message.direction == "out", Message.kind != "ussd")
        if contact_number:
            contact = Contact.find(session, contact_number)
            query = query.where(Message.contact_id == (contact.id if contact else -1))
        return [m.body or "" for m in session.scalars(query.order_by(Message.id))]


def alerts() -> list[Alert]:
    """Every alert, oldest first."""
    with runtime.current().db.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))
