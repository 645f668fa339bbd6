"""Local fake Twilio and Africa's Talking APIs, for tests and benchmarks.

Each fake is a small Werkzeug server on 127.0.0.1 (random port) that records
exactly what the real SDKs send and answers like the provider::

    fake = FakeTwilio().start()
    sender = TwilioSender("AC…", "token", "+1…", api_base_url=fake.url)
    fake.script(fake.error(30003))          # next answer, then back to success
    fake.default = fake.slow(3)             # every answer from now on
    fake.requests[-1].form["Body"]
    fake.stop()

Answers are :class:`Reply` objects: a status, a body (a string, or a function
of the recorded request) and an optional delay. Scripted replies are used
first, in order; when the queue is empty ``default`` answers (success).
"""

from __future__ import annotations

import collections
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    body: bytes
    auth_username: str | None
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass(frozen=True)
class Reply:
    """One programmed answer. ``body`` may be built from the request."""

    status: int
    body: str | Callable[[RecordedRequest], str] = ""
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do not log every request."""


class FakeProvider:
    """Base: a threaded Werkzeug server with recorded requests and scripted replies."""

    def __init__(self) -> None:
        """Create a stopped fake; :meth:`start` it."""
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._script: collections.deque[Reply] = collections.deque()
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.default: Reply = self.success()
        self.url = ""

    # -- lifecycle -------------------------------------------------------
    def start(self) -> Self:
        """Listen on a free local port; ``url`` is then ``http://127.0.0.1:PORT``."""
        self._stopping.clear()
        server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow replies still sleeping are woken up."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- programming -----------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def script(self, *replies: Reply) -> None:
        """Queue replies used, in order, before falling back to ``default``."""
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        """Forget recorded requests and scripted replies; answer success again."""
        with self._lock:
            self._requests.clear()
            self._script.clear()
            self.default = self.success()

    def success(self) -> Reply:
        """The provider's normal answer to a send (overridden per provider)."""
        return Reply(200, "{}")

    def http_error(self, status: int = 500, body: str = "Internal Server Error") -> Reply:
        """A bare HTTP error, e.g. 500 from a load balancer."""
        return Reply(status, body, content_type="text/plain")

    def slow(self, seconds: float, then: Reply | None = None) -> Reply:
        """``then`` (default: success) after ``seconds``."""
        base = then or self.success()
        return Reply(base.status, base.body, base.content_type, seconds, base.headers)

    # -- serving ---------------------------------------------------------
    def _route(self, request: RecordedRequest) -> Reply | None:
        """Return a reply for requests the fake does not serve (404 …), else None."""
        return None

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data(cache=True)
        auth = request.authorization
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            form=dict(request.form),
            body=body,
            auth_username=auth.username if auth else None,
        )
        reply = self._route(recorded)
        with self._lock:
            self._requests.append(recorded)
            if reply is None:
                reply = self._script.popleft() if self._script else self.default
        if reply.delay:
            self._stopping.wait(reply.delay)
        text = reply.body(recorded) if callable(reply.body) else reply.body
        response = Response(text, status=reply.status, headers=reply.headers)
        response.headers["Content-Type"] = reply.content_type
        return response(environ, start_response)


def _hex() -> str:
    return uuid.uuid4().hex


class FakeTwilio(FakeProvider):
    """Fake ``POST /2010-04-01/Accounts/{sid}/Messages.json``; answers 201 like Twilio."""

    _PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")

    def success(self) -> Reply:
        """201 with a message resource: sid ``SM…``, status queued, price null."""
        return Reply(201, self._message)

    def error(self, code: int, status: int = 400, message: str = "") -> Reply:
        """Twilio's error JSON with a given error code (HTTP 400 unless told)."""
        payload = {
            "code": code,
            "message": message or f"Error {code}",
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return Reply(status, json.dumps(payload))

    def _route(self, request: RecordedRequest) -> Reply | None:
        match = self._PATH.match(request.path)
        if request.method != "POST" or not match:
            return self.error(20404, 404, "The requested resource was not found")
        if request.auth_username != match.group(1):
            return self.error(20003, 401, "Authenticate")
        return None

    @staticmethod
    def _message(request: RecordedRequest) -> str:
        account = FakeTwilio._PATH.match(request.path)
        account_sid = account.group(1) if account else ""
        sid = "SM" + _hex()
        form = request.form
        resource = {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": "Thu, 14 Mar 2024 09:21:07 +0000",
            "date_sent": None,
            "date_updated": "Thu, 14 Mar 2024 09:21:07 +0000",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"
            },
            "to": form.get("To"),
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
        }
        return json.dumps(resource)


class FakeAfricasTalking(FakeProvider):
    """Fake ``POST /version1/messaging``; answers 201 ``application/json`` like AT."""

    _STATUS_NAMES: ClassVar[dict[int, str]] = {
        100: "Processed",
        101: "Success",
        102: "Queued",
        401: "RiskHold",
        402: "InvalidSenderId",
        403: "InvalidPhoneNumber",
        404: "UnsupportedNumberType",
        405: "InsufficientBalance",
        406: "UserInBlacklist",
        407: "CouldNotRoute",
        409: "DoNotDisturbRejection",
        500: "InternalServerError",
        501: "GatewayError",
        502: "RejectedByGateway",
    }

    def success(self) -> Reply:
        """201 with every recipient ``statusCode`` 101 and a ``ATXid_…`` message id."""
        return self.recipient_status(101)

    def recipient_status(self, status_code: int) -> Reply:
        """A 201 body where every recipient has ``status_code`` (failures inside a 2xx)."""
        name = self._STATUS_NAMES.get(status_code, "Failed")
        ok = status_code in (100, 101, 102)

        def body(request: RecordedRequest) -> str:
            numbers = [n for n in request.form.get("to", "").split(",") if n]
            recipients = [
                {
                    "statusCode": status_code,
                    "number": number,
                    "status": name,
                    "cost": "XOF 25.0000" if ok else "0",
                    "messageId": "ATXid_" + _hex() if ok else "None",
                }
                for number in numbers
            ]
            sent = len(recipients) if ok else 0
            message = f"Sent to {sent}/{len(recipients)} Total Cost: XOF {25 * sent}.0000"
            return json.dumps({"SMSMessageData": {"Message": message, "Recipients": recipients}})

        return Reply(201, body)

    def no_recipients(self, message: str = "InvalidSenderId") -> Reply:
        """A 201 body with an empty ``Recipients`` list, as AT sends for some errors."""
        payload = {"SMSMessageData": {"Message": message, "Recipients": []}}
        return Reply(201, json.dumps(payload))

    def _route(self, request: RecordedRequest) -> Reply | None:
        if request.method != "POST" or request.path != "/version1/messaging":
            return self.http_error(404, "Not Found")
        if not request.headers.get("Apikey"):
            return Reply(401, "The supplied authentication is invalid", "text/plain")
        return None
