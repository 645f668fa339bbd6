"""RQ jobs. Jobs carry only ids and are idempotent.

``send_message(id)`` first *claims* the row with one conditional UPDATE
(``queued``/``retrying`` → ``sending``). Only the job that wins the claim
talks to the provider, so a job enqueued twice — by a retry, by the sweeper,
by Redis redelivering — sends once. The only window for a duplicate SMS is a
crash between the provider's answer and our commit; the sweeper then finds
the row stuck in ``sending``, sends again and flags it ``possible_duplicate``.
"""

from __future__ import annotations

import datetime as dt

from redis import Redis
from sqlalchemy import update
from sqlalchemy.orm import Session, defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from gateway import queues, runtime
from gateway.channels.base import ErrorKind, SendError
from gateway.channels.registry import sender_for
from gateway.config import SEND_JOB_TIMEOUT, retry_delays
from gateway.db import utcnow
from gateway.delivery import apply_early
from gateway.logs import get_logger
from gateway.models import Contact, Message, MessageEvent
from gateway.models.message import PENDING, Status
from gateway.sweeper import send_job_id
from gateway.throttle import loop_detected, pause_sends, send_wait

log = get_logger(__name__)
JOB_TIMEOUT = SEND_JOB_TIMEOUT  # seconds; provider calls have their own, shorter timeout
FAILURE_TTL = 7 * 24 * 3600  # keep failed jobs a week for `relais jobs failed`
# The status detail of a message whose transient failures outlasted its retries
# (``relais messages retry --exhausted`` finds them by it).
EXHAUSTED = "retries exhausted"
# Send errors after which the provider may still have accepted the message.
MAYBE_ACCEPTED = frozenset({"timeout", "dropped", "bad_response"})


def enqueue_send(redis: Redis, message_id: int, queue_name: str, delay: float = 0) -> None:
    """Enqueue (or schedule after ``delay`` seconds) the send job of a message."""
    q = queues.queue(queue_name, redis)
    options = {
        "job_id": send_job_id(message_id),
        "job_timeout": JOB_TIMEOUT,
        "failure_ttl": FAILURE_TTL,
        "result_ttl": 3600,
        "description": f"send message {message_id}",
    }
    if delay > 0:
        q.enqueue_in(dt.timedelta(seconds=delay), send_message, message_id, **options)
    else:
        q.enqueue(send_message, message_id, **options)


def _claim_in(session: Session, message_id: int, now: dt.datetime) -> int | None:
    """The conditional UPDATE that claims a pending row: its new attempt count, or
    None when it was not pending (another job has it, or it is done)."""
    return session.scalar(
        update(Message)
        .where(Message.id == message_id, Message.status.in_(list(PENDING)))
        .values(status=Status.SENDING, claimed_at=now, attempts=Message.attempts + 1)
        .returning(Message.attempts)
        .execution_options(synchronize_session=False)
    )


def _claim(message_id: int) -> bool:
    """Claim a pending row without reading its (encrypted) content."""
    with runtime.current().db.session() as session:
        return _claim_in(session, message_id, utcnow()) is not None


def send_message(message_id: int) -> str:
    """Send one queued outbound message; returns what happened (for the job result)."""
    rt = runtime.current()
    settings = rt.settings
    try:
        prepared = _claim_and_prepare(message_id)
    except Exception as exc:
        # Nothing was sent and the transaction rolled back (an undecryptable
        # row, Redis gone mid-job...): count the attempt, retry as usual.
        if _claim(message_id):
            internal = SendError(ErrorKind.TRANSIENT, "internal", type(exc).__name__)
            _handle_error(message_id, internal)
        raise
    if isinstance(prepared, str):
        return prepared
    to, text, provider = prepared
    callback = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/webhooks/twilio/status"
    try:
        result = sender_for(provider, settings, rt.senders).send(
            to, text, status_callback=callback if provider == "twilio" else None
        )
    except SendError as error:
        return _handle_error(message_id, error)
    except Exception as exc:  # an SDK surprise after the request went out
        # Left in `sending`, the row would be re-sent by the sweeper for ever;
        # the provider may have accepted it, so this counts as such.
        unknown = SendError(ErrorKind.TRANSIENT, "bad_response", type(exc).__name__)
        log.error("send_crashed", message_id=message_id, error=type(exc).__name__)
        return _handle_error(message_id, unknown)
    # From here until the commit is the only window for a duplicate SMS: if
    # the process dies now, the sweeper finds the row in `sending`.
    with rt.db.session() as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(
                provider_id=result.provider_id,
                cost=result.cost,
                claimed_at=None,
                status=Status.SENT,
            )
            .execution_options(synchronize_session=False)
        )
        session.add(MessageEvent(message_id=message_id, status=Status.SENT, detail=provider))
    if result.provider_id:
        apply_early(rt.db, rt.redis, provider, result.provider_id)
    log.info("sent", message_id=message_id, provider=provider)
    return "sent"


def _claim_and_prepare(message_id: int) -> tuple[str, str, str] | str:
    """In one transaction: check, claim and prepare a send; (number, text, provider) or why not.

    The claim is a conditional UPDATE, so of two jobs for one row only one
    wins, as before; doing the checks in the same transaction saves the
    commits that made a send cost five transactions.
    """
    rt = runtime.current()
    with rt.db.session() as session:
        message = session.get(Message, message_id, options=[joinedload(Message.contact)])
        if message is None or message.status not in PENDING:
            return "skipped"
        provider = message.provider or message.channel
        wait = send_wait(rt.redis, provider, message.segments or 1, rt.settings.SEND_RATE)
        if wait:
            # Over this second's budget, or the provider asked us to pause:
            # try again then, no attempt spent.
            enqueue_send(rt.redis, message_id, message.queue, delay=wait)
            return "throttled"
        now = utcnow()
        attempts = _claim_in(session, message_id, now)
        if attempts is None:
            log.info("send_skipped", message_id=message_id, reason="not pending")
            return "skipped"
        # The row now says what the UPDATE wrote; keep the object in step
        # without marking anything to write again.
        for key, value in (("status", Status.SENDING), ("claimed_at", now), ("attempts", attempts)):
            set_committed_value(message, key, value)
        contact = message.contact
        message.record(Status.SENDING, detail=f"attempt {attempts}")
        message.provider = provider
        to, text = contact.phone or "", message.body or ""
        suppressed = contact.opted_out and message.kind not in ("reply", "system")
        if suppressed or contact.blocked or contact.invalid_number or not to:
            message.claimed_at = None
            message.record(Status.SUPPRESSED, detail="contact opted out, blocked or invalid")
            return "suppressed"
        text_hash = rt.keyring.lookup_hash("loop:" + text)
        if loop_detected(rt.redis, contact.id, text_hash, rt.settings.LOOP_GUARD_LIMIT):
            message.claimed_at = None
            message.record(Status.SUPPRESSED, detail="loop guard: same text repeated")
            log.warning("loop_guard", message_id=message_id, contact_id=contact.id)
            return "suppressed"
    return to, text, provider


def _retry_delays() -> list[float]:
    return retry_delays(runtime.current().settings.SEND_RETRY_DELAYS)


def max_send_attempts() -> int:
    """Attempts a message gets before it fails for good (the first, then one per retry delay)."""
    return len(_retry_delays()) + 1


def _handle_error(message_id: int, error: SendError) -> str:
    rt = runtime.current()
    delays = _retry_delays()
    settings = rt.settings
    delay: float | None = None
    with rt.db.session() as session:
        # Only plain columns: an error handler must work on a row whose
        # encrypted body or number cannot be read.
        message = session.get_one(Message, message_id, options=[defer(Message.body)])
        provider = message.provider or message.channel
        message.claimed_at = None
        if error.code in MAYBE_ACCEPTED:
            # The provider may have taken the message before we stopped
            # waiting: a retry may deliver it twice. Count it.
            message.possible_duplicate = True
        # Fail over once (never back and forth): only from the first provider.
        other = None
        if provider == message.channel:
            other = _other_provider(settings.SMS_PROVIDER, settings.SMS_FALLBACK_PROVIDER, provider)
        account = error.kind is ErrorKind.ACCOUNT
        if not error.transient and not account:
            message.record(Status.FAILED, error_code=error.code, detail=error.kind.value)
            flag = {ErrorKind.OPTED_OUT: "opted_out", ErrorKind.INVALID_NUMBER: "invalid_number"}
            # A fallback provider's verdict speaks for that provider only (it
            # may not reach Malian numbers at all): it must not silence the
            # number for the primary one.
            if error.kind in flag and provider == message.channel:
                session.execute(
                    update(Contact)
                    .where(Contact.id == message.contact_id)
                    .values({flag[error.kind]: True})
                    .execution_options(synchronize_session=False)
                )
            outcome = "failed"
        elif other and (account or message.attempts >= 2):
            # Two transient failures in a row, or an account that cannot send
            # (no balance, revoked key): try the other provider at once.
            message.provider = other
            message.record(Status.RETRYING, error_code=error.code, detail=f"failover to {other}")
            message.next_attempt_at = utcnow()
            delay, outcome = 0, "failover"
        elif message.attempts <= len(delays):
            delay = max(delays[message.attempts - 1], error.retry_after or 0)
            message.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
            message.record(Status.RETRYING, error_code=error.code, detail=error.kind.value)
            outcome = "retrying"
        else:
            message.record(Status.FAILED, error_code=error.code, detail=EXHAUSTED)
            outcome = "failed"
        queue_name = message.queue
    log.warning(
        "send_error", message_id=message_id, provider=provider, code=error.code, outcome=outcome
    )
    try:
        if error.retry_after:
            pause_sends(rt.redis, provider, error.retry_after)
        if delay is not None:
            enqueue_send(rt.redis, message_id, queue_name, delay)
    except Exception as exc:  # the sweeper picks it up when due
        log.warning("enqueue_failed", message_id=message_id, error=type(exc).__name__)
    return outcome


def _other_provider(primary: str, fallback: str, provider: str) -> str | None:
    """The provider to fail over to from ``provider``: the fallback, or the primary
    for a message that went out on the fallback (a reply on its channel)."""
    if not fallback or provider == "sandbox":  # training never leaves the sandbox
        return None
    other = primary if provider == fallback else fallback
    return other if other not in (provider, "sandbox") else None


def enqueue_process(redis: Redis, message_id: int) -> None:
    """Enqueue the processing of a stored inbound SMS (used by the sweeper)."""
    queues.queue("high", redis).enqueue(
        process_inbound,
        message_id,
        job_id=f"inbound-{message_id}",
        job_timeout=JOB_TIMEOUT,
        failure_ttl=FAILURE_TTL,
        result_ttl=3600,
        description=f"process inbound {message_id}",
    )


def process_inbound(message_id: int) -> str:
    """Step the conversation for an inbound SMS that was stored but not processed."""
    handled = runtime.current().dispatch.handle_sms(message_id)
    return "handled" if handled else "skipped"
