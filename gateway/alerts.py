"""Creating alerts from a finished conversation (or a one-shot relay SMS).

The reference is 6 characters without 0/O/1/I, unique. After the alert's
transaction commits, the runtime's ``alert_hooks`` are called with its id:
that is where referrals plug in (routing runs at once, with a job as the
fallback; forwarding is a send job).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from gateway.flows import new_reference
from gateway.logs import get_logger
from gateway.models import Alert, Contact

log = get_logger(__name__)
_CREATED = "relais_alerts_created"


def _text(answers: Mapping[str, Any], key: str) -> str | None:
    value = answers.get(key)
    return str(value) if value not in (None, "") else None


def _yes(answers: Mapping[str, Any], key: str) -> bool:
    return str(answers.get(key, "")).lower() == "yes"


def unique_reference(session: Session, attempts: int = 20) -> str:
    """A reference no alert has yet."""
    for _ in range(attempts):
        reference = new_reference()
        if session.scalar(select(Alert.id).where(Alert.reference == reference)) is None:
            return reference
    raise RuntimeError("could not find a free reference")  # 32^6 ≈ 10^9: only if broken


def create_alert(
    session: Session,
    *,
    contact: Contact | None,
    answers: Mapping[str, Any],
    language: str,
    channel: str,
    via: str,
    training: bool = False,
) -> Alert:
    """Store an alert with every answer; hooks run after the session commits."""
    count = answers.get("children_count")
    alert = Alert(
        reference=unique_reference(session),
        contact=contact,
        channel=channel,
        via=via,
        language=language,
        concern=str(answers.get("concern") or "other"),
        place=str(answers.get("place") or "unknown"),
        landmark=_text(answers, "landmark"),
        children_count=count if isinstance(count, int) else None,
        sex=str(answers.get("sex") or "unknown"),
        age_band=str(answers.get("age_band") or "unknown"),
        immediate_danger=str(answers.get("immediate_danger") or "unknown"),
        risk=str(answers.get("risk") or "medium"),
        details=_text(answers, "details"),
        consent_callback=_yes(answers, "consent_callback"),
        consent_messages=_yes(answers, "consent_messages"),
        is_training=training,
    )
    session.add(alert)
    session.flush()
    session.info.setdefault(_CREATED, []).append(alert.id)
    log.info("alert_created", alert_id=alert.id, via=via, risk=alert.risk, training=training)
    return alert


def install(sessions: Any, hooks: list[Any]) -> None:
    """Call each hook with the id of every alert, after its transaction commits."""

    @event.listens_for(sessions, "after_commit")
    def _after_commit(session: Session) -> None:
        for alert_id in session.info.pop(_CREATED, []):
            for hook in hooks:
                try:
                    hook(alert_id)
                except Exception as exc:  # the sweeper routes unrouted alerts later
                    log.warning("alert_hook_failed", alert_id=alert_id, error=type(exc).__name__)

    @event.listens_for(sessions, "after_soft_rollback")
    def _after_rollback(session: Session, previous: Any) -> None:
        if previous.nested:
            # A savepoint's rollback (e.g. the race in Contact.get_or_create):
            # the rest of the transaction still commits, with its work.
            return
        session.info.pop(_CREATED, None)
