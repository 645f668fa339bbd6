"""Africa's Talking webhooks: SMS, delivery reports, USSD and USSD session end.

AT does not sign callbacks, so every URL must carry ``?token=`` equal to
``AT_WEBHOOK_TOKEN`` (compared in constant time; 403 otherwise). USSD is
answered within the request, ``text/plain`` ``CON …``/``END …`` within 182
characters; the same sessionId and text posted again get the same answer.
"""

from __future__ import annotations

from flask import Response, abort, request
from flask.typing import ResponseReturnValue

from gateway import delivery, inbound, runtime
from gateway.channels.africastalking import wire
from gateway.channels.base import InboundMessage, InvalidPayload, SessionEvent
from gateway.conversations import close_ussd
from gateway.db import utcnow
from gateway.logs import get_logger
from gateway.phones import InvalidNumber
from gateway.webhooks import bp
from gateway.webhooks.common import accept_sms

log = get_logger(__name__)


def _text(body: str) -> Response:
    return Response(body, mimetype="text/plain")


def _check_token() -> None:
    expected = runtime.current().settings.AT_WEBHOOK_TOKEN
    if not wire.token_valid(expected, request.args.get("token")):
        log.warning("webhook_refused", channel="africastalking", reason="bad token")
        abort(403)


def _ussd_request_id(session_id: str, text: str) -> str:
    # Each step of a session has a distinct cumulative text: together they
    # identify the request, so a retried request is recognised. The text
    # holds what the person typed, so only a keyed hash of it is kept.
    digest = runtime.current().keyring.lookup_hash("ussd:" + text)[:32]
    return f"{session_id[:90]}:{digest}"


@bp.post("/africastalking/sms")
def at_sms() -> ResponseReturnValue:
    """An SMS from a person: store, answer, then step their conversation."""
    _check_token()
    rt = runtime.current()
    try:
        message = wire.parse_inbound_sms(request.form, utcnow())
    except InvalidNumber:
        inbound.reject(rt.db, wire.SLUG, "invalid_sender")
        return _text("OK")
    except InvalidPayload as exc:
        log.info("bad_webhook", channel=wire.SLUG, reason=str(exc)[:80])
        abort(400)
    accept_sms(rt, message)
    return _text("OK")


@bp.post("/africastalking/delivery")
def at_delivery() -> ResponseReturnValue:
    """A delivery report for a message we sent."""
    _check_token()
    try:
        update = wire.parse_delivery(request.form)
    except InvalidPayload:
        abort(400)
    rt = runtime.current()
    delivery.receive(rt.db, rt.redis, update)
    return _text("OK")


@bp.post("/africastalking/ussd")
def at_ussd() -> ResponseReturnValue:
    """One USSD screen, answered inline."""
    _check_token()
    rt = runtime.current()
    try:
        req = wire.parse_ussd(request.form, utcnow())
    except InvalidNumber:
        inbound.reject(rt.db, wire.SLUG, "invalid_sender")
        return _text(rt.dispatch.unavailable_screen(None))
    except InvalidPayload as exc:
        log.info("bad_webhook", channel=wire.SLUG, reason=str(exc)[:80])
        abort(400)
    message = InboundMessage(
        channel=wire.SLUG,
        provider_id=_ussd_request_id(req.session_id, req.text),
        sender=req.phone_number,
        text=req.text,
        received_at=req.received_at or utcnow(),
        recipient=req.service_code,
        session_id=req.session_id,
        session_event=SessionEvent.START if req.text == "" else SessionEvent.CONTINUE,
    )
    stored = None
    try:
        # Stored already claimed: one transaction less per screen.
        stored = inbound.store(rt.db, message, claim=True)
        if not stored.created:
            return _text(rt.dispatch.stored_ussd_answer(stored.message_id))
        return _text(
            rt.dispatch.handle_ussd(stored.message_id, req.text, req.session_id, claimed=True)
        )
    except Exception as exc:
        log.error("ussd_failed", error=type(exc).__name__)
        if stored is not None and stored.created:
            _give_up(stored.message_id, type(exc).__name__)
        contact_id = stored.contact_id if stored is not None else 0
        language = inbound.language_of(rt.db, contact_id)
        return _text(rt.dispatch.unavailable_screen(language))


def _give_up(message_id: int, error: str) -> None:
    """The request was answered "unavailable": it can never be stepped later."""
    try:
        inbound.give_up(
            runtime.current().db, message_id, error=error[:32], detail="answered unavailable"
        )
    except Exception as exc:  # the database itself is down: the sweeper will do it
        log.error("ussd_give_up_failed", error=type(exc).__name__)


@bp.post("/africastalking/ussd/end")
def at_ussd_end() -> ResponseReturnValue:
    """The end of a USSD session: an unfinished conversation is closed as abandoned."""
    _check_token()
    try:
        end = wire.parse_ussd_end(request.form)
    except InvalidPayload:
        abort(400)
    close_ussd(runtime.current().db, end.session_id)
    return _text("OK")
