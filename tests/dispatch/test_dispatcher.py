"""The dispatcher over SMS: full alert, keywords, STATUS, expiry, Redis outage, recovery."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import runtime
from gateway.db import utcnow
from gateway.models import Contact, Conversation, Message
from gateway.sweeper import sweep
from tests.support import (
    alerts,
    count,
    outbound_texts,
    post_twilio,
    recorded_statements,
    twilio_sms,
    work,
)

SMS = "/webhooks/twilio/sms"
ALICE, BOB = "+22376123445", "+22366112233"
# fr, separated, Commune V, landmark, 2 children, girl, 5-11, danger yes,
# skip details, consent yes, updates yes
ANSWERS = ["1", "1", "5", "Marché Badalabougou", "2", "fille", "2", "oui", "0", "1", "oui"]
_sids = itertools.count(1)


def send(client: FlaskClient, sender: str, body: str) -> None:
    response = post_twilio(client, SMS, twilio_sms(f"SM{next(_sids):032d}", sender, body))
    assert response.status_code == 200


def report(client: FlaskClient, sender: str = ALICE) -> str:
    send(client, sender, "Bonjour")
    for answer in ANSWERS:
        send(client, sender, answer)
    return outbound_texts(sender)[-1]


def test_full_sms_alert_stores_every_answer_and_replies_with_the_reference(client) -> None:  # type: ignore[no-untyped-def]
    final = report(client)
    (alert,) = alerts()
    assert alert.reference in final and "17" in final and "nom" in final
    assert (alert.via, alert.channel, alert.language) == ("sms", "twilio", "fr")
    assert (alert.concern, alert.place, alert.landmark) == (
        "separated",
        "ML-BKO-C5",
        "Marché Badalabougou",
    )
    assert (alert.children_count, alert.sex, alert.age_band) == (2, "girl", "5-11")
    assert (alert.risk, alert.details, alert.consent_callback, alert.consent_messages) == (
        "high", None, True, True,
    )  # fmt: skip
    assert len(outbound_texts(ALICE)) == len(ANSWERS) + 1
    with runtime.current().db.session() as session:
        assert Contact.find(session, ALICE).language == "fr"  # type: ignore[union-attr]
        # the conversation (every answer) is tied to its alert, for retention
        assert session.scalars(select(Conversation.alert_id)).all() == [alert.id]


def test_language_is_remembered_for_the_next_report(client) -> None:  # type: ignore[no-untyped-def]
    report(client)
    send(client, ALICE, "Bonjour")
    assert "Que se passe-t-il" in outbound_texts(ALICE)[-1]  # no language question again


@pytest.mark.parametrize("thanks", ["Merci", "merci beaucoup !", "Ok", "OK merci", "I ni ce", "👍"])
def test_thanks_after_the_alert_get_no_new_questionnaire(client, thanks: str) -> None:  # type: ignore[no-untyped-def]
    # "Merci" after the reference started a new questionnaire, and each polite
    # reply after it cost one more SMS ("Réponse non comprise").
    report(client)
    sent = len(outbound_texts(ALICE))
    send(client, ALICE, thanks)
    assert len(outbound_texts(ALICE)) == sent
    assert count(Message, Message.direction == "in", Message.status == "handled") == 13  # stored
    send(client, ALICE, "Bonjour, un autre enfant")  # anything else: a new alert, as before
    assert "Que se passe-t-il" in outbound_texts(ALICE)[-1]


def test_thanks_mid_questionnaire_are_still_answers(client) -> None:  # type: ignore[no-untyped-def]
    send(client, ALICE, "Merci")  # a first message starts the questionnaire
    assert "Langue" in outbound_texts(ALICE)[-1] or "1" in outbound_texts(ALICE)[-1]
    for answer in ANSWERS[:7]:
        send(client, ALICE, answer)
    send(client, ALICE, "ok")  # "danger immédiat ?": ok is yes
    assert alerts() == [] and "ajouter" in outbound_texts(ALICE)[-1]


def test_stop_as_first_message_opts_out(client) -> None:  # type: ignore[no-untyped-def]
    send(client, ALICE, "STOP")
    with runtime.current().db.session() as session:
        assert Contact.find(session, ALICE).opted_out is True  # type: ignore[union-attr]
    assert "START" in outbound_texts(ALICE)[-1]
    send(client, ALICE, "START")
    with runtime.current().db.session() as session:
        assert Contact.find(session, ALICE).opted_out is False  # type: ignore[union-attr]


def test_status_answers_only_for_the_reporters_own_alerts(client) -> None:  # type: ignore[no-untyped-def]
    report(client)
    reference = alerts()[0].reference
    send(client, ALICE, f"STATUT {reference.lower()}")
    own = outbound_texts(ALICE)[-1]
    assert reference in own and "recu" in own
    send(client, BOB, f"STATUT {reference}")
    other = outbound_texts(BOB)[-1]
    send(client, BOB, "STATUT ZZZZZZ")
    unknown = outbound_texts(BOB)[-1]
    assert "recu" not in other and reference in other
    assert other.replace(reference, "REF") == unknown.replace("ZZZZZZ", "REF")


def test_one_shot_relay_sms_creates_a_complete_alert(client) -> None:  # type: ignore[no-untyped-def]
    send(client, ALICE, "ALERTE ENA F 12 C5 Marche Medine")
    (alert,) = alerts()
    assert (alert.via, alert.concern, alert.sex, alert.age_band, alert.place) == (
        "oneshot", "separated", "girl", "12-14", "ML-BKO-C5",
    )  # fmt: skip
    assert alert.reference in outbound_texts(ALICE)[-1]


def test_a_complete_one_shot_replaces_an_unfinished_conversation(client) -> None:  # type: ignore[no-untyped-def]
    """It was stored as the answer to the question being asked (the landmark)."""
    for text in ("Bonjour", "1", "1", "5"):
        send(client, ALICE, text)
    send(client, ALICE, "ALERTE ENA F 12 C5 Marche Medine")
    (alert,) = alerts()
    assert (alert.via, alert.landmark, alert.age_band) == ("oneshot", "Marche Medine", "12-14")
    assert alert.reference in outbound_texts(ALICE)[-1]
    with runtime.current().db.session() as session:
        assert session.scalars(select(Conversation.status)).all() == ["abandoned"]
    send(client, ALICE, "Bonjour")  # the next message starts afresh (language known)
    assert outbound_texts(ALICE)[-1].startswith("Que se passe-t-il ?")


def test_an_incomplete_one_shot_mid_conversation_is_an_answer(client) -> None:  # type: ignore[no-untyped-def]
    for text in ("Bonjour", "1", "1", "5"):
        send(client, ALICE, text)
    send(client, ALICE, "ALERTE ENA vers le marche")  # a landmark, as far as we can tell
    assert alerts() == []
    with runtime.current().db.session() as session:
        assert session.scalars(select(Conversation.status)).all() == ["active"]


def test_one_shot_with_unreadable_parts_names_them(client) -> None:  # type: ignore[no-untyped-def]
    send(client, ALICE, "ALERTE ENA Q 12 nowhere")
    assert alerts() == []
    assert "Illisible" in outbound_texts(ALICE)[-1]


def test_free_text_starting_with_alerte_starts_the_conversation(client) -> None:  # type: ignore[no-untyped-def]
    send(client, ALICE, "ALERTE il y a un enfant seul ici")
    assert alerts() == [] and "Langue" in outbound_texts(ALICE)[-1]


def test_expired_conversation_offers_to_continue_or_start_again(client) -> None:  # type: ignore[no-untyped-def]
    send(client, ALICE, "Bonjour")
    send(client, ALICE, "1")  # French; now at "what is happening"
    rt = runtime.current()
    rt.redis.flushdb()  # the live session expired
    with rt.db.session() as session:
        for conv in session.query(Conversation):
            conv.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    send(client, ALICE, "2")
    assert "1 Continuer 2 Recommencer" in outbound_texts(ALICE)[-1]
    send(client, ALICE, "1")
    assert "Que se passe-t-il" in outbound_texts(ALICE)[-1]
    send(client, ALICE, "2")  # now an answer again: displaced
    assert "Où est l'enfant" in outbound_texts(ALICE)[-1]


def test_redis_outage_mid_conversation_loses_nothing(app: Flask, redis_server) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    send(client, ALICE, "Bonjour")
    send(client, ALICE, "1")
    redis_server.stop()
    try:
        for answer in ANSWERS[1:]:
            send(client, ALICE, answer)  # stored and processed from the database
    finally:
        redis_server.start()
    (alert,) = alerts()
    assert alert.place == "ML-BKO-C5"
    queued = count(Message, Message.direction == "out", Message.status == "queued")
    assert queued == len(ANSWERS) + 1  # nothing could be enqueued while Redis was down
    rt = runtime.current()
    swept = sweep(rt.db, rt.redis, grace=dt.timedelta(0))
    assert len(swept.requeued) == queued, swept
    work(app)
    assert count(Message, Message.direction == "out", Message.status == "sent") == queued


def test_failed_processing_is_retried_by_the_sweeper(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = runtime.current()
    calls = {"n": 0}
    original = rt.dispatch._sms_replies

    def flaky(session, message):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        return original(session, message)

    monkeypatch.setattr(rt.dispatch, "_sms_replies", flaky)
    send(app.test_client(), ALICE, "Bonjour")  # still answered 200
    assert count(Message, Message.direction == "in", Message.status == "received") == 1
    report_ = sweep(rt.db, rt.redis, grace=dt.timedelta(0))
    assert len(report_.inbound) == 1
    work(app)
    assert count(Message, Message.direction == "in", Message.status == "handled") == 1
    assert "Langue" in outbound_texts(ALICE)[-1]


def test_a_real_sms_from_a_number_the_simulator_used_starts_afresh(client) -> None:  # type: ignore[no-untyped-def]
    """The simulator's numbers are real-looking: a real person may own one."""
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, ALICE, training=True)
        contact.language = "en"
        session.add(
            Conversation(
                contact_id=contact.id, channel="sms", flow="alert", state="{}", status="active",
                expires_at=utcnow() + dt.timedelta(hours=1),
            )
        )  # fmt: skip
    send(client, ALICE, "Bonjour")
    assert "Langue" in outbound_texts(ALICE)[-1]  # the language question, not the demo's
    with rt.db.session() as session:
        contact = Contact.find(session, ALICE)
        assert contact is not None and not contact.is_training
        statuses = session.scalars(select(Conversation.status).order_by(Conversation.id)).all()
        assert statuses == ["abandoned", "active"]


def test_a_number_flagged_invalid_that_texts_us_gets_replies_again(client) -> None:  # type: ignore[no-untyped-def]
    rt = runtime.current()
    with rt.db.session() as session:
        Contact.get_or_create(session, ALICE).invalid_number = True  # a past "inactive" report
    send(client, ALICE, "Bonjour")
    work(client.application)
    with rt.db.session() as session:
        contact = Contact.find(session, ALICE)
        assert contact is not None and contact.invalid_number is False
        reply = session.scalars(select(Message).where(Message.direction == "out")).one()
        assert reply.status == "sent"


def test_blocked_number_gets_no_reply(client) -> None:  # type: ignore[no-untyped-def]
    rt = runtime.current()
    with rt.db.session() as session:
        Contact.get_or_create(session, ALICE).blocked = True
    send(client, ALICE, "Bonjour")
    assert outbound_texts(ALICE) == []
    assert count(Message, Message.direction == "in", Message.status == "handled") == 1


def test_a_conversation_step_keeps_to_its_statement_budget(client) -> None:  # type: ignore[no-untyped-def]
    # Guards against N+1 queries creeping into the hot path: a mid-conversation
    # SMS is stored, stepped and answered in a fixed, small number of statements,
    # and "is the sender a focal point?" is asked of the database once.
    send(client, ALICE, "Bonjour")
    send(client, ALICE, ANSWERS[0])
    with recorded_statements() as statements:
        send(client, ALICE, ANSWERS[1])
    assert sum("FROM focal_points" in s for s in statements) == 1, statements
    assert len(statements) <= 11, "\n".join(statements)


def test_redis_holds_no_answers_only_a_liveness_mark(client) -> None:  # type: ignore[no-untyped-def]
    send(client, ALICE, "Bonjour")
    for answer in ANSWERS[:4]:  # up to the landmark, which names a place
        send(client, ALICE, answer)
    redis = runtime.current().redis
    marks = list(redis.scan_iter("relais:conv:*"))
    assert len(marks) == 1 and redis.get(marks[0]) == b"1"
    for key in redis.scan_iter("*"):
        if redis.type(key) == b"string":
            assert b"Badalabougou" not in (redis.get(key) or b""), key


def test_an_sms_whose_processing_died_midway_is_processed_later(app: Flask) -> None:
    """The web process died after storing the SMS (claimed: `handling`) and before
    stepping the conversation: the sweeper gives it back and a job processes it."""
    from gateway import inbound
    from gateway.channels.base import InboundMessage

    rt = runtime.current()
    sms = InboundMessage("twilio", "SM" + "e" * 32, ALICE, "Bonjour", utcnow())
    stored = inbound.store(rt.db, sms, claim=True)
    with rt.db.session() as session:
        message = session.get_one(Message, stored.message_id)
        message.claimed_at = utcnow() - dt.timedelta(minutes=10)
    sweep(rt.db, rt.redis, grace=dt.timedelta(0))
    assert count(Message, Message.direction == "in", Message.status == "received") == 1
    work(app)
    assert count(Message, Message.direction == "in", Message.status == "handled") == 1
    assert "Langue" in outbound_texts(ALICE)[-1]


def test_processing_a_message_again_steps_the_conversation_once(client) -> None:  # type: ignore[no-untyped-def]
    """A process_inbound job run again (RQ redelivery, the sweeper) for a message
    already handled must not step the conversation a second time."""
    from gateway.jobs import process_inbound

    send(client, ALICE, "Bonjour")
    with runtime.current().db.session() as session:
        (message_id,) = session.scalars(select(Message.id).where(Message.direction == "in"))
    assert process_inbound(message_id) == "skipped"
    assert len(outbound_texts(ALICE)) == 1


def test_a_message_that_never_processes_fails_after_five_tries(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message that crashes the flow every time is not retried for ever."""
    rt = runtime.current()
    tries = {"n": 0}

    def broken(session, message):  # type: ignore[no-untyped-def]
        tries["n"] += 1
        raise RuntimeError("a bug in the flow")

    monkeypatch.setattr(rt.dispatch, "_sms_replies", broken)
    send(app.test_client(), ALICE, "Bonjour")  # the first try, in the webhook
    for _ in range(8):
        sweep(rt.db, rt.redis, grace=dt.timedelta(0), now=utcnow() + dt.timedelta(seconds=1))
        work(app)
    assert tries["n"] == 5
    assert count(Message, Message.direction == "in", Message.status == "failed") == 1


def test_the_sweeper_leaves_young_or_already_queued_inbound_alone(app: Flask) -> None:
    from gateway import inbound
    from gateway.channels.base import InboundMessage
    from gateway.jobs import enqueue_process

    rt = runtime.current()
    sms = InboundMessage("twilio", "SM" + "d" * 32, ALICE, "Bonjour", utcnow())
    stored = inbound.store(rt.db, sms)  # received, not processed yet
    later = utcnow() + dt.timedelta(seconds=1)
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(minutes=1), now=later).inbound == []
    enqueue_process(rt.redis, stored.message_id)  # its job is waiting in Redis
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0), now=later).inbound == []
    rt.redis.flushdb()  # the job is lost: now the sweeper must queue it
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0), now=later).inbound == [stored.message_id]


def test_help_keyword_after_the_alert_is_answered(client) -> None:  # type: ignore[no-untyped-def]
    # "?" is a help keyword with no word in it: the thanks check took it for an
    # emoji and a reporter asking for help after their alert got silence.
    report(client)
    sent = len(outbound_texts(ALICE))
    send(client, ALICE, "?")
    assert "Relais protège les enfants" in outbound_texts(ALICE)[sent]
