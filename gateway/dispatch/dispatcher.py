"""The dispatcher: stepping conversations for stored inbound SMS, and the USSD entry points.

An SMS is handled under a per-person lock, after the sender's rate limit and
the plug-ins (``sms_handlers``): a one-message alert, a first message, the
continue/restart offer after the SMS session expired, or one step of the
alert flow, whose replies are queued. USSD requests are answered inline by
:mod:`gateway.dispatch.ussd`; the methods here claim them and apply the same
sender limit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import inbound
from gateway.alerts import create_alert
from gateway.conversations import ConversationStore, Loaded
from gateway.db import retry_on_conflict, take_write_lock
from gateway.dispatch import ussd
from gateway.dispatch.actions import apply_actions
from gateway.flows import Flow, StepResult, load_flows, start, step
from gateway.flows.keywords import detect_keyword, is_thanks
from gateway.flows.oneshot import OneShotSpec, is_oneshot, load_oneshot, parse_oneshot
from gateway.flows.render import sms_question
from gateway.flows.text import fold
from gateway.logs import get_logger
from gateway.models import Alert, Contact, Message
from gateway.models.message import Status
from gateway.outbox import queue_outbound
from gateway.referrals.lookups import focal_point_for
from gateway.runtime import Runtime
from gateway.throttle import sender_over_limit

log = get_logger(__name__)
ALERT_FLOW = "alert"
# Answers to "1 Continue 2 Start again" after an SMS conversation expired.
_CONTINUE = {"1", "continuer", "continue", "oui", "yes", "awo"}
_RESTART = {"2", "recommencer", "restart", "nouveau", "new"}

# A plug-in answers an SMS itself (returns reply texts) or passes (None).
SmsHandler = Callable[[Session, Message], list[str] | None]


class Dispatcher:
    """Turns stored inbound messages into conversation steps and queued replies."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.flows: dict[str, Flow] = load_flows()
        self.oneshot: OneShotSpec = load_oneshot()
        self.sms_handlers: list[SmsHandler] = []

    @property
    def alert_flow(self) -> Flow:
        """The flow every reporter conversation runs."""
        return self.flows[ALERT_FLOW]

    @contextlib.contextmanager
    def _person_lock(self, contact_id: int) -> Iterator[bool]:
        # One message per person at a time, so two quick SMS cannot both step
        # the same conversation state. Without Redis, go on unlocked (False):
        # the database's locks must serialise them (see _answer).
        lock = self.rt.redis.lock(f"relais:lock:contact:{contact_id}", timeout=30)
        try:
            acquired = bool(lock.acquire(blocking_timeout=10))
        except RedisError:
            acquired = False
        try:
            yield acquired
        finally:
            if acquired:
                with contextlib.suppress(RedisError):
                    lock.release()

    def handle_sms(self, message_id: int, *, claimed: bool = False, contact_id: int = 0) -> bool:
        """Process a stored inbound SMS once; False when another caller already has it.

        ``claimed``: the caller stored the row already claimed (``handling``)
        and passes the sender's ``contact_id``.
        """
        db = self.rt.db
        if not claimed and not inbound.claim(db, message_id):
            return False
        try:
            if not contact_id:
                with db.session() as session:
                    contact_id = session.get_one(Message, message_id).contact_id
            # Two people answering one referral at once: the one whose commit
            # finds the referral changed (its version) is stepped again at
            # once, on what the other did, and answered now ("someone else has
            # it") instead of by the sweeper a minute later.
            retry_on_conflict(lambda: self._answer(message_id, contact_id))
        except Exception as exc:
            log.error("inbound_processing_failed", message_id=message_id, exc_info=exc)
            inbound.release(db, message_id, error=type(exc).__name__)
            raise
        return True

    def _answer(self, message_id: int, contact_id: int) -> None:
        """One transaction: step the claimed message and queue its replies."""
        with self._person_lock(contact_id) as locked, self.rt.db.session() as session:
            if not locked:
                # PostgreSQL: the conversation row's FOR UPDATE serialises two
                # SMS of one person. SQLite ignores it: take its write lock first.
                take_write_lock(session)
            message = session.get_one(Message, message_id, options=ussd.WITH_CONTACT)
            texts = self._sms_replies(session, message)
            for text in texts:
                queue_outbound(
                    session,
                    contact=message.contact,
                    text=text,
                    channel=message.channel,
                    training=message.is_training,
                    flush=False,
                )
            message.claimed_at = None
            message.record(Status.HANDLED, detail=f"{len(texts)} replies")

    def _sms_replies(self, session: Session, message: Message) -> list[str]:
        contact = message.contact
        if contact.blocked:
            return []
        over = self._over_limit(session, contact)
        if over:
            # Stored, not processed; one warning per window, then silence.
            lang = contact.language or self.alert_flow.default_language
            return [self.alert_flow.text("too_many", lang)] if over == 1 else []
        for handler in self.sms_handlers:
            texts = handler(session, message)
            if texts is not None:
                return texts
        text = message.body or ""
        flow = self.alert_flow
        ttl = dt.timedelta(hours=self.rt.settings.SMS_SESSION_HOURS)
        store = ConversationStore(session, self.rt.redis, ttl)
        loaded = store.find_sms(contact.id)
        finished = loaded.state is None or loaded.state.done
        if finished and is_thanks(text, flow.lexicon) and _has_reported(session, contact):
            # "Merci", "ok", "I ni ce" after their alert's reference or an
            # update: a new questionnaire (and one more SMS at each polite
            # reply) is never what they meant. Stored like every message, not
            # answered. A first-time "ok" still gets the questionnaire.
            log.info("thanks_not_answered", contact_id=contact.id)
            return []
        if is_oneshot(text, self.oneshot) and (finished or self._complete_oneshot(contact, text)):
            texts = self._oneshot(session, message, contact, flow)
            if texts is not None:
                if not finished and loaded.row is not None:
                    # A relay's complete one-message alert replaces the
                    # unfinished conversation instead of becoming its answer.
                    loaded.row.status = "abandoned"
                return texts
        if loaded.state is None or loaded.row is None:
            result = self._begin(flow, contact, text)
        elif loaded.expired and not loaded.state.done:
            resumed = self._resume(store, loaded, contact, flow, text)
            if isinstance(resumed, list):
                return resumed
            result = resumed
        else:
            result = step(flow, loaded.state, text, "sms")
        result, alert = apply_actions(
            session,
            flow,
            result,
            rt=self.rt,
            contact=contact,
            channel=message.channel,
            via="sms",
            training=message.is_training,
        )
        store.save(
            loaded.row,
            contact_id=contact.id,
            channel="sms",
            state=result.state,
            alert_id=alert.id if alert is not None else None,
        )
        return result.replies

    def _complete_oneshot(self, contact: Contact, text: str) -> bool:
        flow = self.alert_flow
        lang = contact.language or flow.default_language
        return parse_oneshot(text, flow, self.oneshot, language=lang).complete

    def _over_limit(self, session: Session, contact: Contact) -> int:
        """How far over the per-number limit this message is (focal points are exempt)."""
        settings = self.rt.settings
        if focal_point_for(session, contact.id) is not None:
            return 0
        try:
            return sender_over_limit(
                self.rt.redis, contact.id, settings.SENDER_RATE_LIMIT, settings.SENDER_RATE_WINDOW
            )
        except RedisError:
            return 0

    def _begin(self, flow: Flow, contact: Contact, text: str) -> StepResult:
        """A first message: start the flow, unless it is STOP/START/HELP/STATUS."""
        fresh = start(flow, "sms", contact.language)
        keyword = detect_keyword(text, flow.lexicon)
        if keyword is not None and keyword.name in {"stop", "start", "help", "status"}:
            return step(flow, fresh.state, text, "sms")
        return fresh

    def _resume(
        self, store: ConversationStore, loaded: Loaded, contact: Contact, flow: Flow, text: str
    ) -> StepResult | list[str]:
        """After the SMS session expired: offer to continue or start again."""
        if loaded.row is None or loaded.state is None:
            return start(flow, "sms", contact.language)
        lang = loaded.state.language or contact.language or flow.default_language
        if loaded.row.status == "paused":
            answer = fold(text)
            if answer in _CONTINUE:
                state = loaded.state
                store.save(loaded.row, contact_id=contact.id, channel="sms", state=state)
                return [sms_question(flow, flow.states[state.state], lang)]
            if answer in _RESTART:
                return start(flow, "sms", contact.language)
            if detect_keyword(text, flow.lexicon) is not None:
                return step(flow, loaded.state, text, "sms")
        store.save(
            loaded.row, contact_id=contact.id, channel="sms", state=loaded.state, status="paused"
        )
        return [flow.text("resume_offer", lang)]

    def _oneshot(
        self, session: Session, message: Message, contact: Contact, flow: Flow
    ) -> list[str] | None:
        """A trained relay's one-message alert: ``ALERTE ENA F 12 C5 Marche Medine``.

        None when the message is not in that format after all (its first word
        after ALERTE is no concern code: someone wrote in their own words), so
        the normal conversation starts instead.
        """
        lang = contact.language or flow.default_language
        parsed = parse_oneshot(message.body or "", flow, self.oneshot, language=lang)
        if "concern" in parsed.missing:
            return None
        if not parsed.complete:
            return [parsed.reply]
        alert = create_alert(
            session,
            contact=contact,
            answers=parsed.answers,
            language=lang,
            channel=message.channel,
            via="oneshot",
            training=message.is_training,
        )
        return [parsed.reply.replace("{reference}", alert.reference)]

    def handle_ussd(
        self, message_id: int, raw_text: str, session_id: str, *, claimed: bool = False
    ) -> str:
        """Answer one stored USSD request with its ``CON``/``END`` screen (within 182).

        ``claimed``: the caller stored the row already claimed (``handling``).
        The screen comes from :func:`gateway.dispatch.ussd.answer_request`.
        """
        if not claimed and not inbound.claim(self.rt.db, message_id):
            return self.stored_ussd_answer(message_id)
        return ussd.answer_request(
            self.rt, self.alert_flow, message_id, raw_text, session_id, self._over_limit
        )

    def stored_ussd_answer(self, message_id: int, wait: float = 3.0) -> str:
        """The screen already given for a USSD request (a provider retry gets the same).

        When the first request is still being answered, wait for it a little
        (:func:`gateway.dispatch.ussd.stored_answer`).
        """
        return ussd.stored_answer(self.rt.db, self.alert_flow, message_id, wait)

    def unavailable_screen(self, language: str | None) -> str:
        """The polite END of a screen that could not be answered, in the person's
        language when it is known (the flow's default otherwise)."""
        return ussd.unavailable_screen(self.alert_flow, language)


def _has_reported(session: Session, contact: Contact) -> bool:
    """True when ``contact`` has made at least one alert."""
    found = session.scalar(select(Alert.id).where(Alert.contact_id == contact.id).limit(1))
    return found is not None
