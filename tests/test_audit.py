"""The audit log: written by ``audit.record``, append-only, read by ``relais audit tail``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import delete, select, update

from gateway import audit, runtime
from gateway.commands.audit import audit_group
from gateway.models import AuditEvent
from gateway.models.audit import AuditLogIsAppendOnly


def _one_event() -> int:
    with runtime.current().db.session() as session:
        event = audit.record(session, "awa", "case.view", "alert", "42", "from the case list")
        session.flush()
        return event.id


def test_record_writes_an_event(app: Flask) -> None:
    event_id = _one_event()
    with runtime.current().db.session() as session:
        event = session.get(AuditEvent, event_id)
        assert event is not None
        assert (event.actor, event.action, event.target_type, event.target_id) == (
            "awa", "case.view", "alert", "42",
        )  # fmt: skip
        assert event.detail == "from the case list"
        assert event.at is not None and event.ip_hash is None  # no request: no IP


def test_record_rolls_back_with_its_transaction(app: Flask) -> None:
    with pytest.raises(RuntimeError), runtime.current().db.session() as session:
        audit.record(session, "awa", "case.export")
        raise RuntimeError("the export failed")
    with runtime.current().db.session() as session:
        assert session.scalars(select(AuditEvent)).all() == []


def test_detail_is_short_and_numbers_are_masked(app: Flask) -> None:
    with runtime.current().db.session() as session:
        event = audit.record(session, "cli", "note", detail="call +22376123445 " + "x" * 500)
    assert "76123445" not in event.detail and "+223 7" in event.detail
    assert len(event.detail) == 200


def test_ip_is_stored_as_a_keyed_hash(app: Flask) -> None:
    request = app.test_request_context("/console/", environ_base={"REMOTE_ADDR": "196.200.1.2"})
    with request, runtime.current().db.session() as session:
        event = audit.record(session, "awa", "case.view")
    expected = runtime.current().keyring.lookup_hash("ip:196.200.1.2")
    assert event.ip_hash == expected and "196.200" not in (event.ip_hash or "")


def test_update_of_an_event_raises(app: Flask) -> None:
    event_id = _one_event()
    with pytest.raises(AuditLogIsAppendOnly), runtime.current().db.session() as session:
        event = session.get(AuditEvent, event_id)
        assert event is not None
        event.detail = "rewritten"
        session.flush()


def test_delete_of_an_event_raises(app: Flask) -> None:
    event_id = _one_event()
    with pytest.raises(AuditLogIsAppendOnly), runtime.current().db.session() as session:
        session.delete(session.get(AuditEvent, event_id))
        session.flush()


@pytest.mark.parametrize(
    "statement",
    [update(AuditEvent).values(detail="rewritten"), delete(AuditEvent)],
    ids=["update", "delete"],
)
def test_bulk_statements_raise(app: Flask, statement: object) -> None:
    _one_event()
    with pytest.raises(AuditLogIsAppendOnly), runtime.current().db.session() as session:
        session.execute(statement)  # type: ignore[call-overload]
    with runtime.current().db.session() as session:
        events = session.scalars(select(AuditEvent)).all()
        assert [e.detail for e in events] == ["from the case list"]


def test_audit_tail(app: Flask) -> None:
    def tail(*args: str) -> str:
        result = CliRunner().invoke(
            audit_group, ["tail", *args], obj=ScriptInfo(create_app=lambda: app)
        )
        assert result.exit_code == 0, result.output
        return result.output

    assert "no audit events" in tail()
    with runtime.current().db.session() as session:
        for index in range(5):
            audit.record(session, "cli", "user.add", "user", f"user{index}", "role=trainer")
    lines = tail("-n", "3").splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("cli  user.add  user:user2  role=trainer")
    assert lines[-1].endswith("cli  user.add  user:user4  role=trainer")
    assert len(tail().splitlines()) == 5
