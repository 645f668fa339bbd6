"""Changes made with the ``relais`` command are audited as the console's are (actor ``cli``)."""

from __future__ import annotations

from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select

from gateway import runtime
from gateway.cli import main
from gateway.models import AuditEvent, Contact, Message
from gateway.models.message import Status
from gateway.outbox import queue_outbound

NUMBER = "+22376123445"


def run(app: Flask, *args: str) -> Result:
    """Run ``relais ARGS`` against ``app``; it must succeed."""
    result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    return result


def events() -> list[tuple[str, str, str, str, str]]:
    """Every audit event as (actor, action, target type, target id, detail)."""
    with runtime.current().db.session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.actor, e.action, e.target_type, e.target_id, e.detail) for e in rows]


def test_blocking_and_unblocking_a_number_is_audited_without_the_number(app: Flask) -> None:
    run(app, "numbers", "block", "76 12 34 45")
    run(app, "numbers", "unblock", NUMBER)
    with runtime.current().db.session() as session:
        contact_id = str(Contact.find(session, NUMBER).id)  # type: ignore[union-attr]
    assert [e[:4] for e in events()] == [
        ("cli", "numbers.block", "contact", contact_id),
        ("cli", "numbers.unblock", "contact", contact_id),
    ]
    assert "76123445" not in repr(events())


def test_sending_a_failed_message_again_is_audited(app: Flask) -> None:
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, NUMBER)
        message = queue_outbound(session, contact=contact, text="Bonjour", channel="sandbox")
        message.status = Status.FAILED
        session.flush()
        message_id = message.id
    run(app, "messages", "retry", str(message_id))
    assert events() == [("cli", "messages.retry", "message", str(message_id), "1 queued")]
    with runtime.current().db.session() as session:
        assert session.get_one(Message, message_id).status == Status.QUEUED


def test_retrying_jobs_and_rotating_keys_are_audited(app: Flask) -> None:
    run(app, "jobs", "retry", "--all")
    run(app, "keys", "rotate")
    assert [e[:4] for e in events()] == [
        ("cli", "jobs.retry", "job", "all"),
        ("cli", "keys.rotate", "", ""),
    ]
    assert events()[0][4] == "requeued 0, skipped 0"
    assert events()[1][4].endswith("complete: True")
