"""No phone number or free text in clear: not in any table, not in Redis, not in logs.

A whole SMS report goes through the real signed Twilio webhook and the worker
sends every reply. Then every column of every table (read raw, without the
ORM's decryption), every Redis value and every log line are searched for the
reporter's number in every usual spelling and for the free texts they typed.
Each test also checks the data *is* there through the ORM, so a search that
looks at the wrong place cannot pass by finding nothing.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import re
import unicodedata
import zlib
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from gateway import logs, runtime
from gateway.models import Alert, Contact, Conversation, Message
from tests.support import alerts, count, outbound_texts, post_twilio, twilio_sms, work

SMS = "/webhooks/twilio/sms"
ALICE = "+22376123445"
LANDMARK = "Marché Badalabougou près de la mosquée"
DETAILS = "Deux fillettes pleurent seules depuis ce matin"
# fr, separated, Commune V, landmark, 2 children, girl, 5-11, danger yes,
# details, consent yes, updates yes (as in tests/dispatch/test_dispatcher.py)
ANSWERS = ["1", "1", "5", LANDMARK, "2", "fille", "2", "oui", DETAILS, "1", "oui"]
NUMBER_SPELLINGS = ["+22376123445", "22376123445", "0022376123445", "76123445", "76 12 34 45",
                    "76.12.34.45", "76-12-34-45"]  # fmt: skip
_sids = itertools.count(1)


def _fold(value: str) -> str:
    """Lower case without accents, so a transliterated copy is found too."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


TEXT_NEEDLES = [
    _fold(s)
    for s in (LANDMARK, DETAILS, "Badalabougou", "près de la mosquée", "fillettes pleurent")
]


def leaks(value: str) -> list[str]:
    """Which secrets appear in ``value`` (any spelling of the number, any free text)."""
    found = [n for n in NUMBER_SPELLINGS if n in value]
    if "76123445" in re.sub(r"\D", "", value):
        found.append("digits 76123445")
    folded = _fold(value)
    found.extend(n for n in TEXT_NEEDLES if n in folded)
    return found


def test_leaks_finds_every_spelling() -> None:
    """The detector itself: it must catch what the other tests look for."""
    for sample in [*NUMBER_SPELLINGS, "tel: 76 123 445", LANDMARK.upper(), _fold(DETAILS)]:
        assert leaks(f"x {sample} y"), sample
    assert leaks("gAAAAABrCzia7z7LRcLK-6QexdDc5VPse_Xp 2026-11-28 20:25:38") == []


def _report(client: FlaskClient) -> None:
    for body in ["Bonjour", *ANSWERS]:
        form = twilio_sms(f"SM{next(_sids):032d}", ALICE, body)
        assert post_twilio(client, SMS, form).status_code == 200


def _assert_readable_through_the_orm() -> None:
    """The secrets are stored: decryption gives them back (the searches saw real data)."""
    (alert,) = alerts()
    assert (alert.landmark, alert.details) == (LANDMARK, DETAILS)
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.find(session, ALICE)
        assert contact is not None and contact.phone == ALICE
        bodies = [m.body for m in session.scalars(select(Message).where(Message.direction == "in"))]
        assert LANDMARK in bodies and DETAILS in bodies
        states = [c.state for c in session.scalars(select(Conversation))]
        assert any(LANDMARK in s for s in states)
    assert alert.reference in outbound_texts(ALICE)[-1]
    sent = count(Message, Message.direction == "out", Message.status == "sent")
    assert sent == len(ANSWERS) + 1  # the worker really sent every reply


def _database_cells() -> Iterator[tuple[str, str, str]]:
    engine = runtime.current().db.engine
    names = inspect(engine).get_table_names()
    assert {"contacts", "messages", "alerts", "conversations"} <= set(names)
    with engine.connect() as conn:
        for name in names:
            result = conn.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        raw = (
                            value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                        )
                        yield name, column, str(raw)


def _redis_values() -> Iterator[tuple[str, str]]:
    redis = runtime.current().redis
    for key in redis.scan_iter():
        kind = redis.type(key).decode()
        if kind == "string":
            values = [redis.get(key)]
        elif kind == "hash":
            values = list(redis.hgetall(key).values())
        elif kind == "list":
            values = list(redis.lrange(key, 0, -1))
        elif kind in ("set", "zset"):
            values = list(redis.smembers(key) if kind == "set" else redis.zrange(key, 0, -1))
        else:
            continue
        for value in values:
            if not isinstance(value, bytes):
                continue
            with contextlib.suppress(zlib.error):  # RQ stores job data zlib-compressed
                value = zlib.decompress(value)
            yield key.decode(), value.decode("utf-8", "replace")


def test_nothing_personal_is_stored_in_clear(client: FlaskClient, app: Flask) -> None:
    _report(client)
    work(app)
    _assert_readable_through_the_orm()

    cells = list(_database_cells())
    found = [(t, c, leaks(v)) for t, c, v in cells if leaks(v)]
    assert found == [], found
    # The search saw the encrypted columns themselves.
    seen = {(t, c) for t, c, v in cells if v.startswith("gAAAAA")}
    assert {("contacts", "phone"), ("messages", "body"), ("alerts", "landmark"),
            ("alerts", "details"), ("conversations", "state")} <= seen  # fmt: skip

    values = list(_redis_values())
    assert values, "Redis held nothing: the search looked at the wrong server"
    found_redis = [(k, leaks(v)) for k, v in values if leaks(v)]
    assert found_redis == [], found_redis


@pytest.fixture
def captured_logs(app: Flask) -> Iterator[io.StringIO]:
    """Every log record from here on, as JSON lines (after create_app configured logs)."""
    stream = io.StringIO()
    logs.configure("INFO", stream=stream)
    yield stream
    logs.configure("INFO")


def test_nothing_personal_is_logged(
    client: FlaskClient, app: Flask, captured_logs: io.StringIO
) -> None:
    _report(client)
    work(app)
    _assert_readable_through_the_orm()

    lines = captured_logs.getvalue().splitlines()
    events = {json.loads(line)["event"] for line in lines}
    assert {"request", "alert_created", "sent"} <= events, events  # the capture worked
    found = [(line, leaks(line)) for line in lines if leaks(line)]
    assert found == [], found
    assert count(Alert) == 1
