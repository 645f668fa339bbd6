"""USSD requests: the ``CON``/``END`` screen given inline, and what a retry or a failure gets.

The :class:`~gateway.dispatch.Dispatcher` entry points (``handle_ussd``,
``stored_ussd_answer``, ``unavailable_screen``) claim the request and call
here. Kept apart from the SMS path of :mod:`gateway.dispatch.dispatcher`: a
USSD request is answered within the provider's HTTP request, so its screen is
stored as an outbound message already sent (no outbox), a provider's retry
must get the very screen already given, and a request that cannot be answered
still owes the phone a polite ``END``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from gateway.channels.africastalking.wire import render_ussd
from gateway.conversations import ConversationStore
from gateway.db import Database
from gateway.dispatch.actions import apply_actions
from gateway.flows import Flow, advance_ussd
from gateway.models import Contact, Message
from gateway.models.message import Direction, Status
from gateway.runtime import Runtime

# The message with its sender: one query instead of two.
WITH_CONTACT = [joinedload(Message.contact)]

# How far over the per-number limit a message is (0: within); the dispatcher's count.
OverLimit = Callable[[Session, Contact], int]


def answer_request(
    rt: Runtime,
    flow: Flow,
    message_id: int,
    raw_text: str,
    session_id: str,
    over_limit: OverLimit,
) -> str:
    """Step the session of a claimed USSD request; store and return its screen (within 182).

    A new session over the sender's limit gets the ``too_many`` text as an ``END``.
    """
    ttl = dt.timedelta(seconds=rt.settings.USSD_SESSION_SECONDS)
    with rt.db.session() as session:
        message = session.get_one(Message, message_id, options=WITH_CONTACT)
        contact = message.contact
        store = ConversationStore(session, rt.redis, ttl)
        loaded = store.find_ussd(session_id)
        if loaded.state is None and over_limit(session, contact):
            message.record(Status.HANDLED, detail="rate limited")
            lang = contact.language or flow.default_language
            return render_ussd(flow.text("too_many", lang), end=True)
        result = advance_ussd(flow, loaded.state, raw_text, contact.language)
        result, alert = apply_actions(
            session,
            flow,
            result,
            rt=rt,
            contact=contact,
            channel=message.channel,
            via="ussd",
            training=message.is_training,
        )
        if any(a.name == "status_query" for a in result.actions):
            screen = render_ussd(result.replies[0], end=True)
        else:
            screen = render_ussd("\n".join(result.replies), end=result.done)
        store.save(
            loaded.row,
            contact_id=contact.id,
            channel="ussd",
            state=result.state,
            session_id=session_id,
            alert_id=alert.id if alert is not None else None,
        )
        answer = Message(
            direction=Direction.OUT,
            channel=message.channel,
            provider=message.channel,
            contact=contact,
            body=screen,
            kind="ussd",
            session_id=session_id,
            reply_to_id=message.id,
            is_training=message.is_training,
            attempts=0,
        )
        answer.record(Status.SENT, detail="answered inline")
        session.add(answer)
        message.claimed_at = None
        message.record(Status.HANDLED)
    return screen


def stored_answer(db: Database, flow: Flow, message_id: int, wait: float) -> str:
    """The screen already given for a USSD request (a provider retry gets the same).

    When the first request is still being answered, wait for it a little;
    without a screen by then, :func:`unavailable_screen` in the sender's language.
    """
    deadline = time.monotonic() + wait
    while True:
        with db.session() as session:
            screen = session.scalar(
                select(Message.body).where(Message.reply_to_id == message_id).limit(1)
            )
        if screen or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if screen:
        return screen
    with db.session() as session:
        language = session.scalar(
            select(Contact.language).join(Message).where(Message.id == message_id)
        )
    return unavailable_screen(flow, language)


def unavailable_screen(flow: Flow, language: str | None) -> str:
    """The polite END of a screen that could not be answered, in the person's
    language when it is known (the flow's default otherwise)."""
    lang = language if language in flow.languages else flow.default_language
    return render_ussd(flow.text("unavailable", lang), end=True)
