"""One reporter's two SMS handled at the same instant, on PostgreSQL.

The per-person lock lives in Redis; while Redis is down each message goes on
without it, and the conversation row's ``FOR UPDATE`` must serialise the two
steps by itself. The test holds that row lock until both messages are
queued behind it (:mod:`tests.faults.locks`): the second must step from the
state the first saved, so no answer is lost or applied to the wrong question.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from gateway import runtime
from gateway.conversations import ConversationStore
from gateway.embedded_redis import EmbeddedRedis
from gateway.models import Conversation
from tests.dispatch.test_dispatcher import ALICE, ANSWERS, send
from tests.faults.locks import Racer, held, require_postgresql
from tests.support import alerts, outbound_texts


def test_two_answers_at_once_while_redis_is_down_are_both_stepped(
    app: Flask, redis_server: EmbeddedRedis
) -> None:
    require_postgresql()
    client = app.test_client()
    for body in ["Bonjour", *ANSWERS[:4]]:  # up to "how many children?"
        send(client, ALICE, body)
    with runtime.current().db.session() as session:
        conversation_id = session.scalars(select(Conversation.id)).one()
    replies = len(outbound_texts(ALICE))
    count, sex = ANSWERS[4:6]  # "2", "fille"
    redis_server.stop()
    try:
        lock = "SELECT 1 FROM conversations WHERE id = :id FOR UPDATE"
        with held(lock, id=conversation_id) as queued:
            first = Racer(app, lambda: send(app.test_client(), ALICE, count))
            queued(1)
            second = Racer(app, lambda: send(app.test_client(), ALICE, sex))
            queued(2)
        first.result()
        second.result()
        asked_sex, asked_age = outbound_texts(ALICE)[replies:]
        assert asked_sex.startswith("Fille ou garcon ?")  # "2" answered how many
        assert asked_age.startswith("Quel age a l'enfant")  # then "fille" the sex
        for body in ANSWERS[6:]:  # Redis still down: its liveness mark would be gone
            send(client, ALICE, body)
    finally:
        redis_server.start()
    (alert,) = alerts()
    assert (alert.children_count, alert.sex) == (2, "girl")


def test_two_answers_at_once_while_redis_is_down_are_both_stepped_on_sqlite(
    app: Flask, redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite ignores FOR UPDATE: without the per-person lock, both messages
    read the conversation before either saved it, and one answer was lost.
    Each racer pauses once it has read the conversation, until the other has
    read it too or 2 s have passed: the interleaving that loses an answer
    whenever nothing serialises the two steps."""
    if runtime.current().db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: the test above forces this with a held row lock")
    client = app.test_client()
    for body in ["Bonjour", *ANSWERS[:4]]:
        send(client, ALICE, body)
    replies = len(outbound_texts(ALICE))
    both_read = threading.Barrier(2, timeout=2)
    original = ConversationStore.find_sms

    def find_then_wait(store: ConversationStore, contact_id: int) -> Any:
        loaded = original(store, contact_id)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()
        return loaded

    monkeypatch.setattr(ConversationStore, "find_sms", find_then_wait)
    redis_server.stop()
    try:
        # "2" and "1" answer either question (how many? then 1 girl, 2 boy…).
        first = Racer(app, lambda: send(app.test_client(), ALICE, "2"))
        second = Racer(app, lambda: send(app.test_client(), ALICE, "1"))
        first.result()
        second.result()
        monkeypatch.undo()
        # Either order: how many, then the sex. Not the same question twice.
        asked = [text.split("?")[0] for text in outbound_texts(ALICE)[replies:]]
        assert [a[:14] for a in asked] == ["Fille ou garco", "Quel age a l'e"], asked
    finally:
        redis_server.start()
