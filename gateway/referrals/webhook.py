"""Per-agency webhooks: push each new referral to an agency's own case system.

An agency whose directory entry has ``webhook: {url, secret_env}`` receives a
signed JSON POST per referral (see docs/agency-webhook.md). The payload holds
what the case worker needs to act and nothing that identifies the reporter:
never a phone number, never a name.

Delivery is an RQ job (``webhook-<referral id>`` on the ``default`` queue)
retried by RQ with growing intervals for about seven hours; any non-2xx answer
or network error fails the attempt. The referral's ``webhook_status`` records
the outcome, so a delivery whose job Redis lost is queued again by the
sweeper (:mod:`gateway.referrals.sweep`). A missing secret is a configuration
error: the job fails at once, shows in ``relais jobs failed`` and can be
retried with ``relais jobs retry`` once the variable is set. A failed job
expires after a week (``FAILURE_TTL``); the referral still says ``failed``, so
``relais jobs failed`` keeps listing the delivery and ``relais jobs retry``
queues it again from the referral (:func:`deliver_again`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from typing import Any

import requests
from redis import Redis
from rq import Retry, get_current_job
from sqlalchemy import select, update

from gateway import queues, runtime
from gateway.logs import get_logger
from gateway.models import Referral
from gateway.phones import NUMBER_IN_TEXT
from gateway.referrals import store
from gateway.referrals.directory import Webhook

log = get_logger(__name__)

EVENT = "referral.created"
QUEUE = "default"
TIMEOUT = 10  # seconds, per HTTP attempt
JOB_TIMEOUT = 60
FAILURE_TTL = 7 * 24 * 3600  # failed deliveries stay a week for `relais jobs failed`
RETRY_INTERVALS = [60, 120, 300, 600, 900, 1800, 3600, 3600, 3600, 3600, 3600, 3600]
TOLERANCE = 300  # seconds of clock difference accepted by :func:`verify`


class WebhookSecretMissing(RuntimeError):
    """The environment variable named by ``secret_env`` is not set (configuration)."""


class WebhookDeliveryFailed(RuntimeError):
    """The agency's endpoint did not answer 2xx (or could not be reached)."""


def job_id(referral_id: int) -> str:
    """The RQ job id of a referral's webhook delivery."""
    return f"webhook-{referral_id}"


def payload(referral: Referral) -> dict[str, Any]:
    """The JSON-able body sent for ``referral`` (never a phone number or a name)."""
    alert = referral.alert
    return {
        "event": EVENT,
        "reference": alert.reference,
        "agency": referral.agency_id,
        "risk": alert.risk,
        "concern": alert.concern,
        "sex": alert.sex,
        "age_band": alert.age_band,
        "children_count": alert.children_count,
        "place": alert.place,
        # The reporter's own words: a number typed in them is hidden, as in the SMS.
        "landmark": NUMBER_IN_TEXT.sub("(tel)", alert.landmark)
        if alert.landmark
        else alert.landmark,
        "consent_callback": bool(alert.consent_callback),
        "created_at": alert.created_at.isoformat(),
    }


def encode(data: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact, sorted, UTF-8 JSON."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``timestamp + "." + body`` with ``secret``."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    header: str,
    now: float,
    tolerance: int = TOLERANCE,
) -> bool:
    """Check an ``X-Relais-Signature`` header as an agency receiving a webhook would.

    ``timestamp`` is the ``X-Relais-Timestamp`` header (Unix seconds), ``now``
    the receiver's clock (``time.time()``): a timestamp further than
    ``tolerance`` seconds away is refused, so a captured request cannot be
    replayed later. The signature is compared in constant time.
    """
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance or not header.startswith("sha256="):
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def headers(referral_id: int, secret: bytes, body: bytes, now: float) -> dict[str, str]:
    """The HTTP headers of one delivery attempt, signed at ``now``."""
    timestamp = str(int(now))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Relais-webhook/1",
        "X-Relais-Event": EVENT,
        "X-Relais-Delivery": str(referral_id),
        "X-Relais-Timestamp": timestamp,
        "X-Relais-Signature": "sha256=" + sign(secret, timestamp, body),
    }


def _target(referral_id: int) -> tuple[str, Webhook, bytes] | None:
    """(agency id, webhook, body) for a referral, or None when nothing is to send."""
    with runtime.current().db.session() as session:
        referral = session.get(Referral, referral_id)
        if referral is None:
            return None
        directory = store.current(session)
        agency = directory.agency(referral.agency_id) if directory is not None else None
        if agency is None or agency.webhook is None:
            return None
        return agency.id, agency.webhook, encode(payload(referral))


def referral_of(job: str) -> int | None:
    """The referral id of a delivery's job id (``webhook-12`` → 12); None for other jobs."""
    prefix, _, number = job.partition("-")
    return int(number) if prefix == "webhook" and number.isdigit() else None


def failed_without_job(known_jobs: set[str]) -> list[int]:
    """Real referrals whose delivery failed and whose job is not among ``known_jobs``
    (RQ's failed jobs): the job expired after ``FAILURE_TTL`` or Redis lost it."""
    with runtime.current().db.session() as session:
        ids = session.scalars(
            select(Referral.id)
            .where(Referral.webhook_status == "failed", Referral.is_training.is_(False))
            .order_by(Referral.id)
        )
        return [one for one in ids if job_id(one) not in known_jobs]


def deliver_again(redis: Redis, referral_id: int) -> bool:
    """Queue a failed delivery again from its referral; False unless it had failed."""
    with runtime.current().db.session() as session:
        changed = session.execute(
            update(Referral)
            .where(Referral.id == referral_id, Referral.webhook_status == "failed")
            .values(webhook_status="pending", updated_at=Referral.updated_at)
            .returning(Referral.id)
        ).first()
    if changed is not None:
        # Pending from here: if this enqueue is lost, the sweeper queues it again.
        enqueue_delivery(redis, referral_id)
    return changed is not None


def enqueue_delivery(redis: Redis, referral_id: int) -> None:
    """Enqueue the delivery of a referral whose agency has a webhook (checked by the caller).

    Enqueueing again under the same job id replaces the job: the sweeper uses
    it for a ``pending`` delivery whose job Redis lost.
    """
    queues.queue(QUEUE, redis).enqueue(
        deliver_agency_webhook,
        referral_id,
        job_id=job_id(referral_id),
        job_timeout=JOB_TIMEOUT,
        failure_ttl=FAILURE_TTL,
        result_ttl=7 * 24 * 3600,
        retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
        description=f"agency webhook for referral {referral_id}",
    )


def _fail_now() -> None:
    """Make the running job skip its remaining retries (configuration errors)."""
    job = get_current_job()
    if job is not None:
        job.retries_left = 0


def _record(referral_id: int, status: str) -> None:
    """Write a delivery's outcome on its referral (read by the sweeper and the console)."""
    with runtime.current().db.session() as session:
        session.execute(
            update(Referral)
            .where(Referral.id == referral_id)
            # Not an activity on the case: the case list's "last update" stays.
            .values(webhook_status=status, updated_at=Referral.updated_at)
        )


def deliver_agency_webhook(referral_id: int) -> str:
    """POST the referral to its agency's webhook; raises on anything but a 2xx answer.

    The referral's ``webhook_status`` becomes ``delivered``, ``skipped`` (the
    agency has no webhook any more), ``example`` (its address is an example
    one, see :attr:`Webhook.is_example`), or ``failed`` once no retry is left;
    it stays ``pending`` while RQ will try again.
    """
    try:
        outcome = _deliver(referral_id)
    except Exception:
        job = get_current_job()
        if job is None or not job.retries_left:
            _record(referral_id, "failed")
        raise
    _record(referral_id, outcome.split()[0])
    return outcome


def _deliver(referral_id: int) -> str:
    """One delivery attempt: "skipped", "example" or "delivered (<status>)", or an exception."""
    target = _target(referral_id)
    if target is None:
        log.info("agency_webhook_skipped", referral_id=referral_id)
        return "skipped"
    agency_id, hook, body = target
    if hook.is_example:  # the directory changed to an example address since routing
        log.info("agency_webhook_example", referral_id=referral_id, agency=agency_id)
        return "example"
    secret = os.environ.get(hook.secret_env, "")
    if not secret:
        _fail_now()
        log.error("agency_webhook_no_secret", referral_id=referral_id, agency=agency_id)
        raise WebhookSecretMissing(
            f"agency {agency_id}: environment variable {hook.secret_env} is not set"
        )
    sent = headers(referral_id, secret.encode("utf-8"), body, time.time())
    try:
        response = requests.post(
            hook.url, data=body, headers=sent, timeout=TIMEOUT, allow_redirects=False
        )
    except requests.RequestException as exc:
        log.warning(
            "agency_webhook_error",
            referral_id=referral_id,
            agency=agency_id,
            error=type(exc).__name__,
        )
        raise WebhookDeliveryFailed(f"agency {agency_id}: {type(exc).__name__}") from None
    status = response.status_code
    response.close()
    if not 200 <= status < 300:
        log.warning(
            "agency_webhook_refused", referral_id=referral_id, agency=agency_id, status=status
        )
        raise WebhookDeliveryFailed(f"agency {agency_id} answered HTTP {status}")
    log.info("agency_webhook_delivered", referral_id=referral_id, agency=agency_id, status=status)
    return f"delivered ({status})"
