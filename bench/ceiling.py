"""The ceiling: a bare Flask endpoint that only checks the Twilio signature.

Served by gunicorn with exactly the Procfile's web settings, it shows what
the web tier could do at best on this machine (Python, Flask, gunicorn, the
SDK's RequestValidator, one TwiML answer) so Relais' own cost can be read off.
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def create_app() -> Flask:
    """The bare app; reads TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL from the environment."""
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    public = os.environ["PUBLIC_BASE_URL"].rstrip("/")
    app = Flask(__name__)

    @app.post("/webhooks/twilio/sms")
    def sms() -> Response:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(public + request.path, request.form, signature):
            abort(403)
        return Response(TWIML, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status":"ok"}', mimetype="application/json")

    return app
