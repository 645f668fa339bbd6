"""Twilio webhooks: inbound SMS and status callbacks, signed with X-Twilio-Signature.

The signature is checked against ``PUBLIC_BASE_URL`` + path + query — the URL
as Twilio called it — so it holds behind a TLS-terminating proxy. Answers
are TwiML ``<Response/>``: replies leave through the outbound queue, never
inline, so a slow step cannot make Twilio time out and retry.
"""

from __future__ import annotations

from flask import Response, abort, request
from flask.typing import ResponseReturnValue

from gateway import delivery, inbound, runtime
from gateway.channels.base import InvalidPayload
from gateway.channels.twilio import wire
from gateway.db import utcnow
from gateway.logs import get_logger
from gateway.phones import InvalidNumber
from gateway.webhooks import bp
from gateway.webhooks.common import accept_sms

log = get_logger(__name__)


def _twiml() -> Response:
    return Response(wire.empty_twiml(), mimetype="text/xml")


def _path_with_query() -> str:
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def _check_signature() -> None:
    settings = runtime.current().settings
    valid = wire.signature_valid(
        settings.TWILIO_AUTH_TOKEN,
        settings.PUBLIC_BASE_URL,
        _path_with_query(),
        request.form,
        request.headers.get("X-Twilio-Signature", ""),
    )
    if not valid:
        log.warning("webhook_refused", channel="twilio", reason="bad signature")
        abort(403)


@bp.post("/twilio/sms")
def twilio_sms() -> ResponseReturnValue:
    """An SMS from a person: store, answer, then step their conversation."""
    _check_signature()
    rt = runtime.current()
    try:
        message = wire.parse_inbound(request.form, utcnow())
    except InvalidNumber:
        inbound.reject(rt.db, "twilio", "invalid_sender")
        return _twiml()
    except InvalidPayload as exc:
        log.info("bad_webhook", channel="twilio", reason=str(exc)[:80])
        abort(400)
    accept_sms(rt, message)
    return _twiml()


@bp.post("/twilio/status")
def twilio_status() -> ResponseReturnValue:
    """A delivery report for a message we sent."""
    _check_signature()
    try:
        update = wire.parse_status(request.form)
    except InvalidPayload:
        abort(400)
    rt = runtime.current()
    delivery.receive(rt.db, rt.redis, update)
    return _twiml()
