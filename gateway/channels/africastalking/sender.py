"""Send SMS through Africa's Talking's official SDK and classify its failures.

Request (what ``SMSService.send`` sends)::

    POST {base}/version1/messaging          (base: https://api.africastalking.com,
    apiKey: …  Accept: application/json      https://api.sandbox.africastalking.com
    username=…&to=+22376123445&message=…&bulkSMSMode=1[&from=SENDER]   for "sandbox")

Answer: ``201`` ``application/json``; **per-recipient failures come inside a
2xx body**::

    {"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: XOF 25.0000",
      "Recipients": [{"statusCode": 101, "number": "+223…", "status": "Success",
                      "cost": "XOF 25.0000", "messageId": "ATXid_…"}]}}

statusCode: 100 Processed, 101 Sent, 102 Queued (success); 401 RiskHold,
402 InvalidSenderId, 405 InsufficientBalance (the account: fail over, retry);
407 CouldNotRoute, 409 DoNotDisturbRejection (permanent); 403 InvalidPhoneNumber,
404 UnsupportedNumberType (invalid number); 406 UserInBlacklist (opted out);
500 InternalServerError, 501 GatewayError, 502 RejectedByGateway (transient).
An empty ``Recipients`` list is permanent (``Message`` says why).
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from africastalking.SMS import SMSService

from gateway.channels.africastalking.wire import SLUG
from gateway.channels.base import ErrorKind, SendError, SendResult, request_error, retry_after

_SUCCESS = frozenset({100, 101, 102})
# Failed recipients; any other statusCode is permanent.
_KINDS = {
    403: ErrorKind.INVALID_NUMBER,
    404: ErrorKind.INVALID_NUMBER,
    406: ErrorKind.OPTED_OUT,
    401: ErrorKind.ACCOUNT,
    402: ErrorKind.ACCOUNT,
    405: ErrorKind.ACCOUNT,
    500: ErrorKind.TRANSIENT,
    501: ErrorKind.TRANSIENT,
    502: ErrorKind.TRANSIENT,
}


class _HttpError(Exception):
    """A non-2xx answer, with the HTTP status the SDK's own exception drops."""

    def __init__(self, status: int, text: str, retry_after: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.text = text
        self.retry_after = retry_after


class _SMSService(SMSService):  # type: ignore[misc]
    """The SDK's SMS service with a better HTTP step.

    ``SMSService.send`` (validation, form fields, URL, ``apiKey`` header) is
    used as is; only ``Service._make_request`` is replaced, because the SDK's
    version (2.0.3) (a) raises ``AfricasTalkingException(res.text)`` and so
    loses the HTTP status we need to tell 5xx/429 (retry) from 4xx (don't),
    (b) parses JSON only if Content-Type is exactly ``application/json``, and
    (c) opens a new connection per message. The timeout is the one the caller
    passes to ``send(timeout=…)``; ours is a pooled ``requests.Session``.
    """

    def __init__(self, username: str, api_key: str, base_url: str) -> None:
        super().__init__(username, api_key)
        if base_url:
            self._baseUrl = base_url + "/version1"
        self._session = requests.Session()

    def _make_request(
        self,
        url: str,
        method: str,
        headers: dict[str, str],
        data: Any,
        params: Any,
        callback: Any = None,
        timeout: Any = None,
    ) -> Any:
        if callback is not None:
            raise RuntimeError("callbacks are not supported")
        res = self._session.request(
            method.upper(),
            url,
            headers=headers,
            data=data,
            params=params,
            timeout=timeout,
            allow_redirects=False,
        )
        if not 200 <= res.status_code < 300:
            raise _HttpError(res.status_code, res.text[:200], res.headers.get("Retry-After"))
        try:
            return res.json()
        except ValueError:
            return res.text


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def classify_body(body: Any) -> SendResult:
    """Read the SDK's answer to one send; raise :class:`SendError` for a failed recipient."""
    data = body.get("SMSMessageData") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise SendError(ErrorKind.TRANSIENT, "bad_response", "no SMSMessageData in 2xx answer")
    recipients = data.get("Recipients")
    if not recipients or not isinstance(recipients, list) or not isinstance(recipients[0], dict):
        raise SendError(ErrorKind.PERMANENT, "no_recipient", str(data.get("Message", ""))[:200])
    first = recipients[0]
    code = _as_int(first.get("statusCode"))
    status = str(first.get("status", ""))[:64]
    if code in _SUCCESS:
        message_id = str(first.get("messageId") or "")
        if not message_id or message_id == "None":
            raise SendError(ErrorKind.TRANSIENT, "bad_response", "no messageId")
        cost = str(first.get("cost") or "") or None
        return SendResult(provider_id=message_id, status="sent", cost=cost)
    kind = _KINDS.get(code or 0, ErrorKind.PERMANENT)
    raise SendError(kind, str(code if code is not None else "unknown"), status)


def classify_http_error(status: int, detail: str = "", wait: str | None = None) -> SendError:
    """Classify a non-2xx answer: 5xx and 429 are transient (with the
    ``Retry-After`` the answer asked for), 401 the account (a wrong or revoked
    API key), other 4xx permanent."""
    kind = ErrorKind.TRANSIENT if status == 429 or status >= 500 else ErrorKind.PERMANENT
    if status == 401:
        kind = ErrorKind.ACCOUNT
    error = SendError(kind, str(status), detail[:200], {"http_status": str(status)})
    if error.transient:
        error.retry_after = retry_after(wait)
    return error


class AfricasTalkingSender:
    """The Africa's Talking :class:`~gateway.channels.base.Sender` (SDK ``SMSService``)."""

    slug = SLUG

    def __init__(
        self,
        username: str,
        api_key: str,
        sender_id: str = "",
        api_base_url: str = "",
        timeout: float = 10.0,
    ) -> None:
        """Keep the settings; the SDK service is built on the first send.

        ``africastalking.initialize`` sets module-wide state, so the service
        class is instantiated directly: two senders can coexist.
        """
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.username = username
        self._api_key = api_key
        self.sender_id = sender_id
        self.api_base_url = api_base_url.rstrip("/")
        self.timeout = timeout
        self._service: _SMSService | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AfricasTalkingSender(username={self.username!r}, sender_id={self.sender_id!r})"

    def _get_service(self) -> _SMSService:
        with self._lock:
            if self._service is None:
                self._service = _SMSService(self.username, self._api_key, self.api_base_url)
            return self._service

    def send(self, to: str, text: str, *, status_callback: str | None = None) -> SendResult:
        """Send ``text`` to ``to``; raise :class:`SendError` on failure.

        ``status_callback`` is ignored: AT's delivery-report URL is set in its dashboard.
        """
        service = self._get_service()
        try:
            body = service.send(text, [to], sender_id=self.sender_id or None, timeout=self.timeout)
        except _HttpError as exc:
            raise classify_http_error(exc.status, exc.text, exc.retry_after) from exc
        except requests.RequestException as exc:
            raise request_error(exc) from exc
        except ValueError as exc:  # the SDK's recipient check: ^\+\d{1,3}\d{3,}$
            raise SendError(ErrorKind.INVALID_NUMBER, "invalid_number", "rejected by SDK") from exc
        return classify_body(body)
