"""Key rotation: everything re-encrypted under the new key, found again, re-runnable."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import Column, Integer, MetaData, Table, select, text

from gateway import create_app, crypto, runtime
from gateway.commands.data import rotate_command
from gateway.crypto import DecryptionError, EncryptedText, Keyring, generate_key
from gateway.db import utcnow
from gateway.keys import encrypted_columns, rotate_all
from gateway.models import Alert, Contact, Conversation, Message
from tests.conftest import DATA_KEYS

ALICE, BOB = "+22376123445", "+22366112233"
OLD = DATA_KEYS  # the key the app writes with
NEW = generate_key()


@pytest.fixture(autouse=True)
def _restore_keyring() -> Iterator[None]:
    """Tests install other keyrings; put the suite's back afterwards."""
    yield
    crypto.install(Keyring(DATA_KEYS))


def _write_rows() -> None:
    """Two contacts, messages, an alert and a conversation, all under OLD."""
    with runtime.current().db.session() as session:
        alice = Contact.get_or_create(session, ALICE)
        bob = Contact.get_or_create(session, BOB)
        for contact, body in ((alice, "Bonjour"), (alice, "Marché Medine"), (bob, "STOP")):
            session.add(Message(direction="in", channel="twilio", contact=contact, body=body,
                                status="handled"))  # fmt: skip
        alert = Alert(reference="ABC234", contact=alice, channel="twilio", via="sms",
                      language="fr", concern="separated", place="ML-BKO-C5",
                      landmark="Marché Medine", sex="girl", age_band="5-11",
                      immediate_danger="yes", risk="high", details="Elle pleure")  # fmt: skip
        session.add(alert)
        session.flush()
        session.add(Conversation(contact_id=alice.id, channel="sms", flow="alert",
                                 state=json.dumps({"landmark": "Marché Medine"}),
                                 status="completed", alert_id=alert.id,
                                 expires_at=utcnow() + dt.timedelta(hours=1)))  # fmt: skip


def _read_everything() -> dict[str, object]:
    """Every encrypted value through the ORM, with the installed keyring."""
    with runtime.current().db.session() as session:
        alice = Contact.find(session, ALICE)
        bob = Contact.find(session, BOB)
        alert = session.scalars(select(Alert)).one()
        return {
            "alice": alice.phone if alice else None,
            "bob": bob.phone if bob else None,
            "bodies": sorted(m.body or "" for m in session.scalars(select(Message))),
            "alert": (alert.landmark, alert.details),
            "state": json.loads(session.scalars(select(Conversation)).one().state),
        }


EXPECTED = {
    "alice": ALICE,
    "bob": BOB,
    "bodies": ["Bonjour", "Marché Medine", "STOP"],
    "alert": ("Marché Medine", "Elle pleure"),
    "state": {"landmark": "Marché Medine"},
}


def _raw_tokens() -> list[str]:
    with runtime.current().db.engine.connect() as conn:
        rows = [
            *conn.execute(text("SELECT phone FROM contacts")),
            *conn.execute(text("SELECT body FROM messages")),
            *conn.execute(text("SELECT landmark FROM alerts")),
            *conn.execute(text("SELECT details FROM alerts")),
            *conn.execute(text("SELECT state FROM conversations")),
        ]
    return [row[0] for row in rows if row[0] is not None]


def test_every_encrypted_column_is_discovered() -> None:
    found = {(t, c) for t, cols in encrypted_columns().items() for c in cols}
    assert found >= {
        ("contacts", "phone"),
        ("messages", "body"),
        ("alerts", "landmark"),
        ("alerts", "details"),
        ("conversations", "state"),
    }
    extra = MetaData()
    notes = Column("notes", EncryptedText())
    Table("referrals", extra, Column("id", Integer, primary_key=True), notes)
    assert encrypted_columns(extra) == {"referrals": ["notes"]}


def test_rotation_moves_everything_to_the_new_key(app: Flask) -> None:
    _write_rows()
    rt = runtime.current()
    before = _raw_tokens()
    report = rotate_all(rt.db, Keyring(f"{NEW},{OLD}"), batch_size=2)
    assert report.complete and report.unreadable == []
    assert report.tables["contacts"].reencrypted == 2
    assert report.tables["contacts"].hashes_updated == 2
    assert report.tables["messages"].reencrypted == 3
    assert report.tables["alerts"].reencrypted == 2
    assert report.tables["conversations"].reencrypted == 1
    after = _raw_tokens()
    assert len(after) == len(before) == 8 and not set(after) & set(before)
    for token in after:
        with pytest.raises(DecryptionError):
            Keyring(OLD).decrypt(token)
    crypto.install(Keyring(NEW))  # the old key is gone
    assert _read_everything() == EXPECTED


def test_without_rotation_the_new_key_alone_reads_nothing(app: Flask) -> None:
    """The control for the test above: the data really was under the old key."""
    _write_rows()
    crypto.install(Keyring(NEW))
    with runtime.current().db.session() as session:
        assert Contact.find(session, ALICE) is None
    with pytest.raises(DecryptionError):
        _read_everything()


def test_rerunning_changes_nothing_that_matters(app: Flask) -> None:
    _write_rows()
    rt = runtime.current()
    rotate_all(rt.db, Keyring(f"{NEW},{OLD}"))
    with rt.db.engine.connect() as conn:
        hashes = sorted(conn.execute(text("SELECT phone_hash FROM contacts")).scalars())
    again = rotate_all(rt.db, Keyring(f"{NEW},{OLD}"))
    assert again.complete
    assert again.tables["contacts"].hashes_updated == 0
    assert again.tables["messages"].reencrypted == 3  # same count, same outcome
    with rt.db.engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT phone_hash FROM contacts")).scalars()) == hashes
    crypto.install(Keyring(NEW))
    assert _read_everything() == EXPECTED


def test_interrupted_rotation_completes_when_run_again(app: Flask) -> None:
    _write_rows()
    rt = runtime.current()
    ring = Keyring(f"{NEW},{OLD}")

    def crash(table: str, rows: int) -> None:
        raise KeyboardInterrupt(table)

    with pytest.raises(KeyboardInterrupt):
        rotate_all(rt.db, ring, batch_size=1, progress=crash)
    rotate_all(rt.db, ring, batch_size=1)
    crypto.install(Keyring(NEW))
    assert _read_everything() == EXPECTED


def test_a_value_no_key_decrypts_is_reported_not_fatal(app: Flask) -> None:
    _write_rows()
    rt = runtime.current()
    stray = Keyring(generate_key()).encrypt("lost")
    with rt.db.engine.begin() as conn:
        bad_id = conn.execute(text("SELECT min(id) FROM messages")).scalar_one()
        conn.execute(text("UPDATE messages SET body = :b WHERE id = :i"), {"b": stray, "i": bad_id})
    report = rotate_all(rt.db, Keyring(f"{NEW},{OLD}"))
    assert not report.complete and report.unreadable_count == 1
    assert report.unreadable == [("messages", "body", bad_id)]
    assert report.tables["messages"].reencrypted == 2
    crypto.install(Keyring(NEW))
    with rt.db.session() as session:
        assert Contact.find(session, ALICE) is not None
        assert session.scalars(select(Alert)).one().landmark == "Marché Medine"


def test_cached_conversations_in_redis_are_reencrypted(app: Flask) -> None:
    rt = runtime.current()
    rt.redis.set("relais:conv:7", Keyring(OLD).encrypt('{"step": "place"}'), ex=600)
    rt.redis.set("relais:conv:8", Keyring(generate_key()).encrypt("{}"), ex=600)
    rt.redis.set(
        "relais:sim:3", Keyring(OLD).encrypt('{"screen": ""}'), ex=600
    )  # a trainer's phone
    report = rotate_all(rt.db, Keyring(f"{NEW},{OLD}"), redis=rt.redis)
    assert (report.cache_reencrypted, report.cache_unreadable) == (2, 1)
    simulator = rt.redis.get("relais:sim:3")
    assert isinstance(simulator, bytes) and Keyring(NEW).decrypt(simulator.decode())
    raw = rt.redis.get("relais:conv:7")
    assert isinstance(raw, bytes)
    assert Keyring(NEW).decrypt(raw.decode()) == '{"step": "place"}'
    assert 0 < rt.redis.ttl("relais:conv:7") <= 600


def test_rotate_command_reports_and_fails_on_unreadable(
    app: Flask, app_config: dict[str, object]
) -> None:
    _write_rows()
    rotating = create_app({**app_config, "DATA_KEYS": f"{NEW},{OLD}"})
    group = click.Group("relais", commands=[rotate_command])
    try:
        result = CliRunner().invoke(group, ["rotate"], obj=ScriptInfo(create_app=lambda: rotating))
        assert result.exit_code == 0, result.output
        assert "messages: 3 rows, 3 values re-encrypted, 0 unreadable" in result.output
        assert "older keys may now be removed" in result.output
        with rotating.app_context(), runtime.current().db.engine.begin() as conn:
            conn.execute(text("UPDATE messages SET body = 'garbage' WHERE id = 1"))
        result = CliRunner().invoke(group, ["rotate"], obj=ScriptInfo(create_app=lambda: rotating))
        assert result.exit_code == 1
        assert "unreadable: messages.body id=1" in result.output
    finally:
        rotating.extensions["relais"].db.dispose()


def test_rotate_command_with_redis_down_still_reports_the_database(
    app: Flask, app_config: dict[str, object]
) -> None:
    """The database part was done but its report lost in a Redis traceback, and
    that report says whether the old key may go."""
    from gateway.embedded_redis import free_port

    _write_rows()
    redis_down = f"redis://127.0.0.1:{free_port()}/0"
    rotating = create_app({**app_config, "DATA_KEYS": f"{NEW},{OLD}", "REDIS_URL": redis_down})
    group = click.Group("relais", commands=[rotate_command])
    try:
        with rotating.app_context():  # the command runs in the current app: this one
            result = CliRunner().invoke(group, ["rotate"])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "messages: 3 rows, 3 values re-encrypted, 0 unreadable" in result.output
        assert "Redis cache: stopped (ConnectionError)" in result.output
        assert "NOT complete" in result.output
        bad = CliRunner().invoke(group, ["rotate", "--batch-size", "0"])
        assert bad.exit_code == 2 and "Traceback" not in bad.output
    finally:
        rotating.extensions["relais"].db.dispose()
