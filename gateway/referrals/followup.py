"""A reporter answering staff: their SMS goes to the case, not to a new questionnaire.

Staff reply to a reporter from the console ("Is the child still at the
market?"). The answer comes back with no live conversation, so the alert flow
used to take it for the start of a new report: the reporter got "What is
happening? 1 Child alone…" and the answer was found on no case.

Registered as a dispatcher plug-in after the focal points' one. It takes an
SMS only when staff texted that number within ``SMS_SESSION_HOURS``
(``contacts.staff_asked_at``) about an alert still open; keywords (STOP,
STATUT, ALERTE for a new report…) and one-message alerts go on to the flow
as before. The message stays
a stored inbound message (the case page shows it); the referral gets a note.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import runtime
from gateway.db import utcnow
from gateway.flows.keywords import detect_keyword
from gateway.flows.oneshot import is_oneshot
from gateway.logs import get_logger
from gateway.models import Alert, Message
from gateway.referrals.actions import current_referral
from gateway.referrals.lifecycle import LifecycleError, transition
from gateway.referrals.texts import reporter_text

log = get_logger(__name__)


def handle_reporter_follow_up(session: Session, message: Message) -> list[str] | None:
    """Note a reporter's answer to staff on their case and thank them; None to pass."""
    rt = runtime.current()
    asked = message.contact.staff_asked_at
    # Read from the contact row the dispatcher already loaded: no query at all
    # for the usual SMS.
    if asked is None or asked < utcnow() - dt.timedelta(hours=rt.settings.SMS_SESSION_HOURS):
        return None
    text = message.body or ""
    dispatch = rt.dispatch
    if detect_keyword(text, dispatch.alert_flow.lexicon) or is_oneshot(text, dispatch.oneshot):
        return None  # STOP, STATUT, ALERTE (a new report)...
    alert = session.scalars(
        select(Alert)
        .where(
            Alert.contact_id == message.contact_id,
            Alert.is_training.is_(message.is_training),
            Alert.status != "closed",
        )
        .order_by(Alert.id.desc())
        .limit(1)
    ).first()
    if alert is None:
        return None
    referral = current_referral(session, alert)
    if referral is not None:
        # A closed referral refuses notes: the message is stored all the same.
        with contextlib.suppress(LifecycleError):
            transition(
                referral, "note", actor="reporter", channel="sms", note="SMS from the reporter"
            )
    log.info("reporter_follow_up", alert_id=alert.id)
    return [reporter_text("follow_up", alert.language, alert.reference)]
