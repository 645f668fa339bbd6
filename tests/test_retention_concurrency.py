"""The retention purge beside live traffic: batches, a purge stopped half-way, two at once.

The purge erases in batches, each its own transaction (measured in
docs/benchmarks.md: one transaction held reporters' rows, and on SQLite every
write, for minutes on a backlog). These tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from gateway import inbound, runtime
from gateway.channels.base import InboundMessage
from gateway.db import utcnow
from gateway.models import AuditEvent, Contact, Message
from gateway.retention import purge
from tests.test_retention import DAY, EXPECTED, NOW, OLD_REPORTER, PERIOD, _contact, _populate

WAIT = 5.0  # seconds a live request may wait before we call it blocked


def _sms(number: str, sid: str) -> InboundMessage:
    return InboundMessage(
        channel="twilio", provider_id=sid, sender=number, text="Bonjour", received_at=utcnow()
    )


def _store_in_thread(app: Flask, number: str, sid: str) -> tuple[threading.Thread, dict[str, Any]]:
    """Store an SMS from ``number`` in another thread (as a webhook would)."""
    out: dict[str, Any] = {}

    def run() -> None:
        with app.app_context():
            out["stored"] = inbound.store(runtime.current().db, _sms(number, sid))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _contact_of(message_id: int) -> Contact:
    with runtime.current().db.session() as session:
        message = session.get_one(Message, message_id)
        return session.get_one(Contact, message.contact_id)


def _when(statement_start: str, action: Any, nth: int = 1) -> Any:
    """Run ``action`` just before the ``nth`` statement starting with ``statement_start``."""
    seen = [0]

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith(statement_start):
            seen[0] += 1
            if seen[0] == nth:
                action()

    engine = runtime.current().db.engine
    event.listen(engine, "before_cursor_execute", listener)
    return lambda: event.remove(engine, "before_cursor_execute", listener)


def test_a_reporter_erased_by_an_earlier_batch_is_not_kept_waiting(app: Flask) -> None:
    """While the purge erases alerts, the contacts it erased before are free again:
    an SMS from one of those reporters is stored at once, on a new contact."""
    _populate()
    rt = runtime.current()
    live: dict[str, Any] = {}

    def sms_during_purge() -> None:
        thread, out = _store_in_thread(app, OLD_REPORTER, "SMduringpurge")
        thread.join(WAIT)
        live["waited"], live["thread"], live["out"] = thread.is_alive(), thread, out

    remove = _when("UPDATE alerts", sms_during_purge)
    try:
        report = purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False, batch=2)
    finally:
        remove()
    live["thread"].join(30)
    assert not live["waited"], "the SMS waited for the purge to finish"
    assert report.counts() == EXPECTED
    contact = _contact_of(live["out"]["stored"].message_id)
    assert contact.phone == OLD_REPORTER


def test_an_sms_from_a_number_being_erased_goes_to_a_new_contact(app: Flask) -> None:
    """The purge erases a number while its owner's SMS is being stored: the SMS must
    not end on the erased contact (no number left to answer, nor to call back)."""
    rt = runtime.current()
    with rt.db.session() as session:
        old_id = _contact(session, OLD_REPORTER, NOW - 130 * DAY).id
    purge_batch = rt.db.engine.connect()  # a purge batch, not committed yet
    purge_batch.execute(
        update(Contact)
        .where(Contact.id == old_id)
        .values(phone=None, phone_hash=f"erased:{old_id}")
    )
    thread, out = _store_in_thread(app, OLD_REPORTER, "SMwhileerasing")
    thread.join(1)  # it found the old row and now waits for the batch
    purge_batch.commit()
    purge_batch.close()
    thread.join(30)
    contact = _contact_of(out["stored"].message_id)
    assert contact.id != old_id and contact.phone == OLD_REPORTER
    with rt.db.session() as session:
        assert Contact.find(session, OLD_REPORTER).id == contact.id  # type: ignore[union-attr]


class _Stop(Exception):
    """The worker died, the job timed out, the database went away."""


def test_a_purge_stopped_half_way_keeps_what_it_erased(app: Flask) -> None:
    """What batches committed stays erased and audited; the next run does the rest."""
    _populate()
    rt = runtime.current()

    def stop() -> None:
        raise _Stop

    remove = _when("UPDATE messages", stop, nth=2)
    try:
        with pytest.raises(_Stop):
            purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False, batch=2)
    finally:
        remove()
    with rt.db.session() as session:
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
        assert "messages_erased=2" in event.detail and "(stopped: _Stop)" in event.detail
    rest = purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False, batch=2).counts()
    assert rest["messages_erased"] == EXPECTED["messages_erased"] - 2
    assert rest["conversations_deleted"] == 0  # done before it stopped
    assert rest["alerts_erased"] == EXPECTED["alerts_erased"]


def test_two_purges_at_once_erase_each_row_once(app: Flask) -> None:
    """Two schedulers, or ``relais purge`` by hand while the job runs: no harm done."""
    _populate()
    rt = runtime.current()
    reports: list[dict[str, int]] = []

    def run() -> None:
        with app.app_context():
            report = purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False, batch=1)
            reports.append(report.counts())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(reports) == 2
    assert {k: reports[0][k] + reports[1][k] for k in EXPECTED} == EXPECTED
    assert set(purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False).counts().values()) == {0}
    with rt.db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
        assert len(list(events)) == 3
