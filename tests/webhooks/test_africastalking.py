"""Africa's Talking webhooks: token, SMS, delivery reports, USSD sessions."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from sqlalchemy import select

from gateway import runtime
from gateway.db import utcnow
from gateway.models import Conversation, Message
from gateway.sweeper import sweep
from tests.conftest import make_config
from tests.fakes.providers import FakeAfricasTalking
from tests.support import alerts, count, outbound_texts, post_at, work

USSD = "/webhooks/africastalking/ussd"
REPORTER = "+22365987654"
# language fr, concern separated, Commune V, landmark, 2 children, girl, 5-11,
# danger yes, skip details, consent yes, updates yes
PATH = ["1", "1", "5", "Marche de Badalabougou", "2", "1", "2", "1", "0", "1", "1"]


def ussd(client, session_id: str, inputs: list[str]):  # type: ignore[no-untyped-def]
    form = {
        "sessionId": session_id,
        "serviceCode": "*384*2211#",
        "phoneNumber": REPORTER,
        "networkCode": "61001",
        "text": "*".join(inputs),
    }
    return post_at(client, USSD, form)


def test_wrong_or_missing_token_is_refused(client, payload) -> None:  # type: ignore[no-untyped-def]
    form = payload("africastalking", "inbound_sms")
    for path in ("/webhooks/africastalking/sms", USSD, "/webhooks/africastalking/delivery"):
        assert client.post(path, data=form).status_code == 403
        assert client.post(path + "?token=wrong", data=form).status_code == 403
    assert count(Message) == 0


def test_inbound_sms_is_stored_and_answered_on_the_same_channel(client, payload) -> None:  # type: ignore[no-untyped-def]
    response = post_at(
        client, "/webhooks/africastalking/sms", payload("africastalking", "inbound_sms")
    )
    assert response.status_code == 200
    assert count(Message, Message.direction == "in", Message.channel == "africastalking") == 1
    assert count(Message, Message.direction == "out", Message.channel == "africastalking") == 1


def test_first_ussd_screen_is_the_language_menu(client) -> None:  # type: ignore[no-untyped-def]
    response = ussd(client, "ATUid_first", [])
    assert response.status_code == 200 and response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith("CON ") and "1" in body and len(body) <= 182


def test_ussd_screens_leave_no_mark_in_redis(client) -> None:  # type: ignore[no-untyped-def]
    # A USSD session is found by its id; only SMS sessions expire by a mark.
    for n in range(3):
        assert ussd(client, "ATUid_marks", PATH[:n]).get_data(as_text=True).startswith("CON ")
    assert count(Conversation, Conversation.session_id == "ATUid_marks") == 1
    assert list(runtime.current().redis.scan_iter("relais:conv:*")) == []


def test_full_ussd_alert_ends_with_a_reference(client) -> None:  # type: ignore[no-untyped-def]
    screens = [ussd(client, "ATUid_full", [])]
    for n in range(1, len(PATH) + 1):
        screens.append(ussd(client, "ATUid_full", PATH[:n]))
    bodies = [s.get_data(as_text=True) for s in screens]
    assert all(len(b) <= 182 for b in bodies)
    assert all(b.startswith("CON ") for b in bodies[:-1])
    assert bodies[-1].startswith("END ")
    (alert,) = alerts()
    assert alert.reference in bodies[-1] and "17" in bodies[-1]
    assert (alert.via, alert.place, alert.landmark) == (
        "ussd",
        "ML-BKO-C5",
        "Marche de Badalabougou",
    )
    assert (alert.children_count, alert.sex, alert.age_band, alert.risk) == (
        2,
        "girl",
        "5-11",
        "high",
    )
    assert alert.consent_callback and alert.consent_messages
    assert not re.search(r"[0OI1]", alert.reference) and len(alert.reference) == 6
    with runtime.current().db.session() as session:
        assert session.scalars(select(Conversation.alert_id)).all() == [alert.id]


def test_same_session_and_text_twice_get_the_same_answer(client) -> None:  # type: ignore[no-untyped-def]
    ussd(client, "ATUid_dup", [])
    first = ussd(client, "ATUid_dup", ["1"]).get_data(as_text=True)
    again = ussd(client, "ATUid_dup", ["1"]).get_data(as_text=True)
    assert first == again
    assert count(Message, Message.direction == "in") == 2


def test_star_inside_a_typed_answer_is_kept(client) -> None:  # type: ignore[no-untyped-def]
    inputs = ["1", "1", "5"]
    for n in range(len(inputs) + 1):
        ussd(client, "ATUid_star", inputs[:n])
    ussd(client, "ATUid_star", [*inputs, "Rue 25*Porte 3"])
    with runtime.current().db.session() as session:
        conv = session.query(Conversation).filter_by(session_id="ATUid_star").one()
        import json

        assert json.loads(conv.state)["answers"]["landmark"] == "Rue 25*Porte 3"


def test_session_end_marks_an_unfinished_conversation_abandoned(client, payload) -> None:  # type: ignore[no-untyped-def]
    end = payload("africastalking", "ussd_end")
    ussd(client, end["sessionId"], [])
    assert post_at(client, "/webhooks/africastalking/ussd/end", end).status_code == 200
    assert count(Conversation, Conversation.status == "abandoned") == 1


def test_a_ussd_screen_that_fails_is_answered_and_marked_failed(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Its session is gone once answered: it must not wait for ever as "received"
    (retention never erases a message still in flight)."""
    rt = runtime.current()
    ussd(client, "ATUid_boom", [])

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    monkeypatch.setattr(rt.dispatch, "handle_ussd", broken)
    response = ussd(client, "ATUid_boom", ["1"])
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("END ")
    assert count(Message, Message.direction == "in", Message.status == "failed") == 1
    assert count(Message, Message.direction == "in", Message.status == "handled") == 1


def test_the_sweeper_fails_ussd_requests_left_unanswered(client) -> None:  # type: ignore[no-untyped-def]
    """Rows a dead web process left claimed, or an older version left "received"."""
    rt = runtime.current()
    ussd(client, "ATUid_left", [])
    ussd(client, "ATUid_left", ["1"])
    old = utcnow() - dt.timedelta(hours=2)
    with rt.db.session() as session:
        first, second = session.scalars(
            select(Message).where(Message.direction == "in").order_by(Message.id)
        )
        first.status, first.updated_at = "received", old
        second.status, second.claimed_at, second.updated_at = "handling", old, old
    report = sweep(rt.db, rt.redis, grace=dt.timedelta(minutes=1))
    assert report.inbound == []  # never stepped again: the USSD session is over
    assert count(Message, Message.direction == "in", Message.status == "failed") == 2


def test_invalid_ussd_sender_gets_a_polite_end(client) -> None:  # type: ignore[no-untyped-def]
    form = {"sessionId": "ATUid_x", "serviceCode": "*384#", "phoneNumber": "12", "text": ""}
    response = post_at(client, USSD, form)
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("END ")
    assert count(Message) == 0


def test_malformed_ussd_is_a_400(client) -> None:  # type: ignore[no-untyped-def]
    assert post_at(client, USSD, {"text": ""}).status_code == 400


def test_sms_reply_goes_out_through_the_sdk_and_delivery_reports_apply(
    database_url: str, redis_url: str, fake_at: FakeAfricasTalking, payload
) -> None:  # type: ignore[no-untyped-def]
    from gateway import create_app

    app: Flask = create_app(
        make_config(
            database_url, redis_url, SMS_PROVIDER="africastalking", AT_API_BASE_URL=fake_at.url
        )
    )
    with app.app_context():
        client = app.test_client()
        post_at(client, "/webhooks/africastalking/sms", payload("africastalking", "inbound_sms"))
        work(app)
        (request,) = fake_at.requests
        assert request.form["to"] == "+22376123445" and request.form["username"] == "relais"
        with runtime.current().db.session() as session:
            reply = session.query(Message).filter_by(direction="out").one()
            message_id = reply.provider_id
            assert reply.status == "sent" and message_id
        report = {"id": message_id, "status": "Success", "phoneNumber": "+22376123445"}
        assert post_at(client, "/webhooks/africastalking/delivery", report).status_code == 200
        with runtime.current().db.session() as session:
            assert session.query(Message).filter_by(direction="out").one().status == "delivered"
        app.extensions["relais"].db.dispose()


def test_failed_delivery_report_with_blacklist_flags_the_contact(client) -> None:  # type: ignore[no-untyped-def]
    from gateway.models import Contact
    from gateway.outbox import queue_outbound

    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, "+22376543210")
        message = queue_outbound(session, contact=contact, text="x", channel="africastalking")
        message.provider, message.provider_id, message.status = "africastalking", "ATXid_1", "sent"
    report = {"id": "ATXid_1", "status": "Failed", "failureReason": "UserInBlackList"}
    assert post_at(client, "/webhooks/africastalking/delivery", report).status_code == 200
    with rt.db.session() as session:
        assert Contact.find(session, "+22376543210").opted_out is True  # type: ignore[union-attr]
    assert outbound_texts() == ["x"]


def test_a_failed_screen_is_answered_in_the_language_the_person_chose(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rt = runtime.current()
    ussd(client, "ATUid_bm", [])
    ussd(client, "ATUid_bm", ["2"])  # Bamanankan

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    monkeypatch.setattr(rt.dispatch, "handle_ussd", broken)
    answer = ussd(client, "ATUid_bm", ["2", "1"]).get_data(as_text=True)
    assert answer == rt.dispatch.unavailable_screen("bm") != rt.dispatch.unavailable_screen("fr")
    # The provider retrying that request gets the same, from the stored row.
    with rt.db.session() as session:
        failed = session.scalar(select(Message.id).where(Message.status == "failed"))
    assert rt.dispatch.stored_ussd_answer(failed, wait=0) == answer
    # A number we never saw gets the default language.
    ussd_new = {"sessionId": "ATUid_new", "serviceCode": "*384#", "phoneNumber": "+22366000001"}
    monkeypatch.setattr(rt.dispatch, "handle_ussd", broken)
    answer = post_at(client, USSD, {**ussd_new, "text": ""}).get_data(as_text=True)
    assert answer == rt.dispatch.unavailable_screen(None) == rt.dispatch.unavailable_screen("fr")


def test_session_end_without_the_token_is_refused_and_changes_nothing(client, payload) -> None:  # type: ignore[no-untyped-def]
    """Anyone knowing a sessionId could otherwise abandon a reporter's conversation."""
    end = payload("africastalking", "ussd_end")
    ussd(client, end["sessionId"], [])
    path = "/webhooks/africastalking/ussd/end"
    assert client.post(path, data=end).status_code == 403
    assert client.post(path + "?token=wrong", data=end).status_code == 403
    assert count(Conversation, Conversation.status == "abandoned") == 0
