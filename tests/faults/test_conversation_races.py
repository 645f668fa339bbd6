"""One reporter's two SMS handled at the same instant, on PostgreSQL.

The per-person lock lives in Redis; while Redis is down each message goes on
without it, and the conversation row's ``FOR UPDATE`` must serialise the two
steps by itself. The test holds that row lock until both messages are
queued behind it (:mod:`tests.faults.locks`): the second must step from the
state the first saved, so no answer is lost or applied to the wrong question.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from gateway import runtime
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
