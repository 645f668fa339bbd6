"""Send SMS through Twilio's official SDK and classify its failures.

Request (what ``client.messages.create`` sends)::

    POST {api}/2010-04-01/Accounts/{AccountSid}/Messages.json
    Authorization: Basic base64(AccountSid:AuthToken)
    To=+22376123445&From=+1…&Body=…&StatusCallback=https://…

Answer: ``201`` JSON ``{"sid": "SM…", "status": "queued", "price": null, …}``;
errors are JSON ``{"code": 21211, "message": "…", "more_info": "…", "status": 400}``
raised by the SDK as ``TwilioRestException(status, uri, msg, code)``.

Classification (domain notes §4): 429/20429, 30003, 30008, any 5xx and network
errors are transient; 21610 is an opt-out; 30005, 30006, 21211, 21614 are
invalid numbers; 30004 and 30007 (carrier filtering) and every other 4xx are
permanent.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from gateway.channels.base import ErrorKind, SendError, SendResult, request_error, retry_after
from gateway.channels.twilio.wire import SLUG, normalize_status

_TRANSIENT_CODES = frozenset({20429, 21611, 30003, 30008})
_OPTED_OUT_CODES = frozenset({21610})
_INVALID_NUMBER_CODES = frozenset({21211, 21614, 30005, 30006})
_PERMANENT_CODES = frozenset({30004, 30007})
_ACCOUNT_CODES = frozenset({20003})  # authentication: a wrong or revoked token


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def classify_http_error(status: int, code: int | None, detail: str = "") -> SendError:
    """Classify a Twilio API error answer (HTTP ``status``, Twilio error ``code``)."""
    code_str = str(code if code is not None else status)
    if code in _TRANSIENT_CODES:
        kind = ErrorKind.TRANSIENT
    elif code in _OPTED_OUT_CODES:
        kind = ErrorKind.OPTED_OUT
    elif code in _INVALID_NUMBER_CODES:
        kind = ErrorKind.INVALID_NUMBER
    elif code in _PERMANENT_CODES:
        kind = ErrorKind.PERMANENT
    elif code in _ACCOUNT_CODES or status == 401:
        kind = ErrorKind.ACCOUNT
    elif status == 429 or status >= 500:
        kind = ErrorKind.TRANSIENT
    else:
        kind = ErrorKind.PERMANENT
    return SendError(kind, code_str, detail[:200], {"http_status": str(status)})


def classify_exception(exc: BaseException) -> SendError:
    """Turn anything the SDK raised while sending into a :class:`SendError`."""
    if isinstance(exc, TwilioRestException):
        status = _as_int(exc.status) or 0
        return classify_http_error(status, _as_int(exc.code), str(exc.msg))
    if isinstance(exc, TwilioServiceException):
        status = _as_int(exc.status) or 0
        return classify_http_error(status, _as_int(exc.code), str(exc.title))
    if isinstance(exc, requests.RequestException):
        return request_error(exc)
    if isinstance(exc, TwilioException):
        return SendError(ErrorKind.TRANSIENT, "network", type(exc).__name__)
    if isinstance(exc, json.JSONDecodeError):
        # A 2xx we cannot read: the message may or may not be queued. Retrying
        # risks a duplicate, not retrying risks a lost alert; we prefer the duplicate.
        return SendError(ErrorKind.TRANSIENT, "bad_response", "unreadable 2xx body")
    raise exc


class _HttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, remembering the last answer's ``Retry-After``
    (``TwilioRestException`` drops the headers). One per thread's sends."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._last = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self._last.retry_after = None
        response = super().request(*args, **kwargs)
        headers = getattr(response, "headers", None) or {}
        self._last.retry_after = headers.get("Retry-After")
        return response

    @property
    def retry_after(self) -> str | None:
        """The ``Retry-After`` of this thread's last answer, if it had one."""
        return getattr(self._last, "retry_after", None)


class TwilioSender:
    """The Twilio :class:`~gateway.channels.base.Sender`, built on ``twilio.rest.Client``."""

    slug = SLUG

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_: str,
        api_base_url: str = "",
        timeout: float = 10.0,
    ) -> None:
        """Keep the settings; the SDK client is built on the first send."""
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.from_ = from_
        self.api_base_url = api_base_url.rstrip("/")
        self.timeout = timeout
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TwilioSender(account_sid={self.account_sid!r}, from_={self.from_!r})"

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                # The SDK's default HTTP client has no timeout: always pass one.
                http = _HttpClient(timeout=self.timeout)
                client = Client(self.account_sid, self._auth_token, http_client=http)
                if self.api_base_url:
                    # A fake or mock server: TWILIO_EDGE/TWILIO_REGION from the
                    # environment would rewrite its host name, so clear them.
                    client.edge = None
                    client.region = None
                    client.api.base_url = self.api_base_url
                self._client = client
            return self._client

    def send(self, to: str, text: str, *, status_callback: str | None = None) -> SendResult:
        """Send ``text`` to the E.164 number ``to``; raise :class:`SendError` on failure."""
        client = self._get_client()
        kwargs: dict[str, Any] = {"to": to, "from_": self.from_, "body": text}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = client.messages.create(**kwargs)
        except (TwilioException, requests.RequestException, json.JSONDecodeError) as exc:
            error = classify_exception(exc)
            if error.transient and isinstance(exc, TwilioRestException):
                error.retry_after = retry_after(client.http_client.retry_after)
            raise error from exc
        sid = str(message.sid or "")
        if not sid:
            raise SendError(ErrorKind.TRANSIENT, "bad_response", "no sid in answer")
        try:
            status = normalize_status(str(message.status or "queued"))
        except ValueError:
            status = "queued"
        price = message.price
        return SendResult(provider_id=sid, status=status, cost=str(price) if price else None)
