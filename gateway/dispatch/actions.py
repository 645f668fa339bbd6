"""Carrying out what a flow step asks for: language, opt-out, alerts, STATUS.

The flow engine is pure; it returns actions. This module applies them to
the database and finishes the reply texts (the alert reference, STATUS
answers). STATUS reveals only received / in progress / closed, and only for
the asker's own reports: any other reference gets the same "unknown" answer.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.alerts import create_alert
from gateway.flows import Flow, StepResult, fill_reference
from gateway.models import Alert, Contact
from gateway.referrals.texts import reporter_text
from gateway.runtime import Runtime
from gateway.throttle import lookups_blocked, note_failed_lookup


def status_text(session: Session, rt: Runtime, contact: Contact, reference: str, lang: str) -> str:
    """The answer to ``STATUS <reference>`` for ``contact``.

    Unknown references and other people's get the same answer; after too
    many of those in an hour, every STATUS gets it (guessing is throttled).
    """
    unknown = reporter_text("status_unknown", lang, reference.upper())
    try:
        if lookups_blocked(rt.redis, contact.id, rt.settings.LOOKUP_FAILURE_LIMIT):
            return unknown
    except RedisError:
        pass
    alert = session.scalar(
        select(Alert).where(Alert.reference == reference.upper(), Alert.contact_id == contact.id)
    )
    if alert is None:
        with contextlib.suppress(RedisError):
            note_failed_lookup(rt.redis, contact.id)
        return unknown
    return reporter_text(f"status_{alert.status}", lang, alert.reference)


def apply_actions(
    session: Session,
    flow: Flow,
    result: StepResult,
    *,
    rt: Runtime,
    contact: Contact,
    channel: str,
    via: str,
    training: bool,
) -> tuple[StepResult, Alert | None]:
    """Apply ``result``'s actions; return it with finished replies, and any new alert."""
    replies = list(result.replies)
    alert: Alert | None = None
    for action in result.actions:
        payload = action.payload
        if action.name == "set_language":
            contact.language = str(payload["language"])
        elif action.name == "opt_out":
            contact.opted_out = True
        elif action.name == "opt_in":
            contact.opted_out = False
        elif action.name == "create_alert":
            alert = create_alert(
                session,
                contact=contact,
                answers=payload["answers"],
                language=str(payload["language"]),
                channel=channel,
                via=via,
                training=training,
            )
            replies = fill_reference(replies, alert.reference)
        elif action.name == "status_query":
            lang = result.state.language or contact.language or flow.default_language
            reference = str(payload["reference"])
            replies.insert(0, status_text(session, rt, contact, reference, lang))
    return replace(result, replies=replies), alert
