"""Retention purge: personal data goes after the period, anonymous counts stay."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from types import SimpleNamespace
from typing import Any

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select, text

from gateway import create_app, logs, runtime
from gateway.commands.data import purge_command
from gateway.db import Base, utcnow
from gateway.keys import encrypted_columns
from gateway.models import (
    Alert,
    Contact,
    Conversation,
    FocalPointRecord,
    Message,
    Referral,
    ReferralEvent,
)
from gateway.retention import purge, purge_job, retention_days
from gateway.retention_rules import covered_columns

NOW = utcnow()
DAY = dt.timedelta(days=1)
PERIOD = dt.timedelta(days=90)
OLD_REPORTER, RECENT_REPORTER, OPEN_REPORTER = "+22376123445", "+22366112233", "+22370111222"
SILENT, TRAINER, PENDING = "+22379000111", "+22370000001", "+22365000999"
OLD_TRAINER, FOCAL = "+22370000002", "+22320220000"
_refs = itertools.count(100)


def _contact(session: Any, number: str, seen: dt.datetime, training: bool = False) -> Contact:
    contact = Contact.get_or_create(session, number, training=training)
    contact.created_at = contact.last_seen_at = seen
    return contact


def _message(session: Any, contact: Contact, body: str, at: dt.datetime, **kw: Any) -> None:
    kw.setdefault("status", "handled")
    kw.setdefault("is_training", contact.is_training)
    session.add(Message(direction=kw.pop("direction", "in"), channel="twilio", contact=contact,
                        body=body, created_at=at, **kw))  # fmt: skip


def _alert(session: Any, contact: Contact, created: dt.datetime, **kw: Any) -> Alert:
    alert = Alert(reference=f"R{next(_refs)}", contact=contact, channel="twilio", via="sms",
                  language="fr", concern="separated", place="ML-BKO-C5", landmark="Marché Medine",
                  sex="girl", age_band="5-11", immediate_danger="yes", risk="high",
                  details="Elle pleure", created_at=created, is_training=contact.is_training,
                  **kw)  # fmt: skip
    session.add(alert)
    session.flush()
    return alert


def _conversation(session: Any, contact: Contact, status: str, updated: dt.datetime,
                  expires: dt.datetime, alert: Alert | None = None) -> None:  # fmt: skip
    session.add(Conversation(contact_id=contact.id, channel="sms", flow="alert",
                             state=json.dumps({"landmark": "Marché Medine"}), status=status,
                             alert_id=alert.id if alert else None, created_at=updated,
                             updated_at=updated, expires_at=expires))  # fmt: skip


def _referral_note(session: Any, alert: Alert, note: str) -> None:
    referral = Referral(alert_id=alert.id, agency_id="dnpef", created_at=alert.created_at)
    session.add(referral)
    session.flush()
    session.add(ReferralEvent(referral_id=referral.id, event="note", from_status="accepted",
                              to_status="accepted", actor="fp-1", channel="sms",
                              note=note))  # fmt: skip


def _populate() -> None:
    with runtime.current().db.session() as session:
        # Closed long ago, silent since: everything about them goes.
        old = _contact(session, OLD_REPORTER, NOW - 130 * DAY)
        _message(session, old, "Marché Medine", NOW - 130 * DAY)
        closed = _alert(session, old, NOW - 130 * DAY, status="closed", closed_at=NOW - 100 * DAY)
        _conversation(session, old, "completed", NOW - 130 * DAY, NOW - 129 * DAY, closed)
        _referral_note(session, closed, "Enfant confié à sa tante")
        # Alert closed recently, old messages: the alert and the number stay.
        recent = _contact(session, RECENT_REPORTER, NOW - 10 * DAY)
        _message(session, recent, "Bonjour", NOW - 120 * DAY)
        _message(session, recent, "Merci", NOW - 10 * DAY)
        _alert(session, recent, NOW - 120 * DAY, status="closed", closed_at=NOW - 10 * DAY)
        _conversation(session, recent, "paused", NOW - 10 * DAY, NOW - 9 * DAY)
        # Alert still open after 200 days: nothing of theirs is touched.
        still = _contact(session, OPEN_REPORTER, NOW - 200 * DAY)
        _message(session, still, "Marché Medine", NOW - 200 * DAY)
        open_alert = _alert(session, still, NOW - 200 * DAY, status="in_progress")
        _referral_note(session, open_alert, "Rappeler demain")
        # A focal point silent for months keeps the number referrals go to.
        focal = _contact(session, FOCAL, NOW - 200 * DAY)
        session.add(FocalPointRecord(id="fp-1", agency_id="dnpef", contact_id=focal.id,
                                     name="Point focal"))  # fmt: skip
        _conversation(session, still, "active", NOW - 1 * DAY, NOW + 1 * DAY)
        # Never finished a report, abandoned long ago.
        silent = _contact(session, SILENT, NOW - 100 * DAY)
        _message(session, silent, "Un enfant seul", NOW - 100 * DAY)
        _conversation(session, silent, "abandoned", NOW - 100 * DAY, NOW - 99 * DAY)
        _conversation(session, silent, "active", NOW - 100 * DAY, NOW - 95 * DAY)
        # Training: gone after a day, whatever the alert's status.
        trainer = _contact(session, TRAINER, NOW - 2 * DAY, training=True)
        _message(session, trainer, "Demo", NOW - 2 * DAY)
        _alert(session, trainer, NOW - 2 * DAY, status="received")
        _message(session, trainer, "Demo fresh", NOW - dt.timedelta(hours=1))
        _alert(session, trainer, NOW - dt.timedelta(hours=1), status="received")
        old_trainer = _contact(session, OLD_TRAINER, NOW - 2 * DAY, training=True)
        _message(session, old_trainer, "Demo", NOW - 2 * DAY)
        # A send still in flight is never emptied, nor its number erased.
        pending = _contact(session, PENDING, NOW - 120 * DAY)
        _message(session, pending, "Votre reference", NOW - 120 * DAY, direction="out",
                 status="queued")  # fmt: skip


def _dump() -> dict[str, list[tuple[Any, ...]]]:
    rt = runtime.current()
    with rt.db.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t.name} ORDER BY 1"))]  # noqa: S608
            for t in Base.metadata.sorted_tables
        }


EXPECTED = {
    "alerts_erased": 2,  # old closed one, old training one
    "messages_erased": 5,  # old, recent's old one, silent's, both trainers' old ones
    "contacts_erased": 3,  # old, silent, the trainer silent for two days
    "conversations_deleted": 3,  # completed+erased, abandoned, active expired 95 days ago
    "referral_events_erased": 1,  # the note on the old closed alert's referral
}


def test_dry_run_counts_exactly_what_the_real_run_erases(app: Flask) -> None:
    _populate()
    rt = runtime.current()
    before = _dump()
    dry = purge(rt.db, now=NOW, older_than=PERIOD, dry_run=True)
    assert dry.dry_run and dry.counts() == EXPECTED
    assert _dump() == before  # nothing changed
    real = purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False)
    assert not real.dry_run and real.counts() == EXPECTED
    assert _dump() != before
    again = purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False)
    assert set(again.counts().values()) == {0}


def test_what_is_erased_and_what_stays(app: Flask) -> None:
    _populate()
    rt = runtime.current()
    purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False)
    with rt.db.session() as session:
        # The old reporter can no longer be found; the row stays for counts.
        assert Contact.find(session, OLD_REPORTER) is None
        assert Contact.find(session, SILENT) is None and Contact.find(session, OLD_TRAINER) is None
        erased = session.scalars(select(Contact).where(Contact.phone.is_(None))).all()
        assert len(erased) == 3 and all(c.phone_hash == f"erased:{c.id}" for c in erased)
        for number in (RECENT_REPORTER, OPEN_REPORTER, PENDING, TRAINER, FOCAL):
            assert Contact.find(session, number).phone == number  # type: ignore[union-attr]
        alerts = {a.contact_id: a for a in session.scalars(select(Alert)) if not a.is_training}
        by_number = {n: Contact.find(session, n) for n in (RECENT_REPORTER, OPEN_REPORTER)}
        (old_alert,) = [a for a in alerts.values() if a.status == "closed" and a.erased_at]
        assert (old_alert.landmark, old_alert.details, old_alert.erased_at) == (None, None, NOW)
        assert (old_alert.concern, old_alert.place, old_alert.risk) == (
            "separated", "ML-BKO-C5", "high",
        )  # fmt: skip
        for contact in by_number.values():
            kept = alerts[contact.id]  # type: ignore[union-attr]
            assert (kept.landmark, kept.erased_at) == ("Marché Medine", None)
        training = session.scalars(select(Alert).where(Alert.is_training.is_(True))).all()
        assert sorted(a.landmark is None for a in training) == [False, True]
        bodies = sorted(m.body or "-" for m in session.scalars(select(Message)))
        assert bodies == ["-", "-", "-", "-", "-", "Demo fresh", "Marché Medine", "Merci",
                          "Votre reference"]  # fmt: skip
        notes = sorted(e.note or "-" for e in session.scalars(select(ReferralEvent)))
        assert notes == ["-", "Rappeler demain"]
        left = sorted(c.status for c in session.scalars(select(Conversation)))
        assert left == ["active", "paused"]
    with rt.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contacts")).scalar() == 8


def test_an_erased_number_that_writes_again_gets_a_new_contact(app: Flask) -> None:
    _populate()
    rt = runtime.current()
    purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False)
    with rt.db.session() as session:
        fresh = Contact.get_or_create(session, OLD_REPORTER)
        assert fresh.phone == OLD_REPORTER and not fresh.phone_hash.startswith("erased:")
    with rt.db.session() as session:
        assert Contact.find(session, OLD_REPORTER) is not None


def test_shorter_period_reaches_more(app: Flask) -> None:
    _populate()
    rt = runtime.current()
    report = purge(rt.db, now=NOW, older_than=5 * DAY, dry_run=True)
    assert report.alerts_erased == 3  # now also the alert closed 10 days ago
    with pytest.raises(ValueError):
        purge(rt.db, now=NOW, older_than=dt.timedelta(0), dry_run=True)


def test_every_encrypted_column_has_a_retention_rule() -> None:
    """Fails when a model gains an encrypted column that nothing ever erases."""
    declared = {(t, c) for t, cols in encrypted_columns().items() for c in cols}
    assert declared <= covered_columns(), declared - covered_columns()


def test_retention_days_setting() -> None:
    plain = SimpleNamespace(extra={})
    extra = SimpleNamespace(extra={"RETENTION_DAYS": "30"})  # an override config.py doesn't know
    typed = SimpleNamespace(RETENTION_DAYS=45, extra={})
    assert [retention_days(s) for s in (plain, extra, typed)] == [90, 30, 45]
    with pytest.raises(ValueError):
        retention_days(SimpleNamespace(RETENTION_DAYS=0, extra={}))


def test_purge_job_uses_the_setting_and_logs_counts(app_config: dict[str, object]) -> None:
    app = create_app({**app_config, "RETENTION_DAYS": 5})
    try:
        with app.app_context():
            _populate()
            stream = io.StringIO()
            logs.configure("INFO", stream=stream)
            result = purge_job()
            assert result["older_than_days"] == 5 and result["alerts_erased"] == 3
            records = [json.loads(line) for line in stream.getvalue().splitlines()]
            (record,) = [r for r in records if r["event"] == "retention_purge"]
            assert record["alerts_erased"] == 3 and record["dry_run"] is False
    finally:
        logs.configure("INFO")
        app.extensions["relais"].db.dispose()


def test_purge_command(app: Flask) -> None:
    _populate()
    group = click.Group("relais", commands=[purge_command])
    obj = ScriptInfo(create_app=lambda: app)
    result = CliRunner().invoke(group, ["purge", "--dry-run"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "would erase" in result.output and "dry run" in result.output
    assert "alerts (landmark, details)   2" in result.output
    result = CliRunner().invoke(group, ["purge", "--days", "5"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "retention 5 days" in result.output and "alerts (landmark, details)   3" in result.output
    assert CliRunner().invoke(group, ["purge", "--days", "0"], obj=obj).exit_code == 2


def test_a_real_purge_is_audited_and_a_dry_run_is_not(app: Flask) -> None:
    from sqlalchemy import select

    from gateway.models import AuditEvent

    rt = runtime.current()
    purge(rt.db, now=utcnow(), older_than=dt.timedelta(days=90), dry_run=True)
    purge(rt.db, now=utcnow(), older_than=dt.timedelta(days=90), dry_run=False)
    with rt.db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
        (event,) = list(events)
        assert event.actor == "system" and event.target_id == "90 days"


def _count(table: str) -> int:
    with runtime.current().db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)  # noqa: S608


def test_the_conversation_of_an_erased_alert_goes_with_it(app: Flask) -> None:
    """Its state holds every answer: it goes with the alert, however recently touched."""
    rt = runtime.current()
    with rt.db.session() as session:
        old = _contact(session, OLD_REPORTER, NOW - 130 * DAY)
        closed = _alert(session, old, NOW - 130 * DAY, status="closed", closed_at=NOW - 100 * DAY)
        _conversation(session, old, "completed", NOW - 5 * DAY, NOW - 4 * DAY, closed)
    report = purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False)
    assert (report.alerts_erased, report.conversations_deleted) == (1, 1)
    assert _count("conversations") == 0


def test_a_removed_focal_point_keeps_no_number(app: Flask) -> None:
    """Only focal points still in the directory keep their number whatever their silence."""
    rt = runtime.current()
    with rt.db.session() as session:
        gone = _contact(session, FOCAL, NOW - 200 * DAY)
        session.add(FocalPointRecord(id="fp-gone", agency_id="dnpef", contact_id=gone.id,
                                     name="Parti", removed=True))  # fmt: skip
    assert purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False).contacts_erased == 1
    with rt.db.session() as session:
        assert Contact.find(session, FOCAL) is None


def test_training_data_goes_after_a_day_whatever_its_state(app: Flask) -> None:
    """An open training alert or a live training conversation keeps nothing."""
    rt = runtime.current()
    with rt.db.session() as session:
        trainer = _contact(session, TRAINER, NOW - 2 * DAY, training=True)
        _alert(session, trainer, NOW - 2 * DAY, status="received")
        _conversation(session, trainer, "active", NOW - 2 * DAY, NOW + DAY)
    report = purge(rt.db, now=NOW, older_than=PERIOD, dry_run=False)
    assert (report.contacts_erased, report.conversations_deleted) == (1, 1)
    with rt.db.session() as session:
        assert Contact.find(session, TRAINER) is None
