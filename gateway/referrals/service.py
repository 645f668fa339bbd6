"""The referral jobs and their timers: routing new alerts, escalating, reminding.

Every timer is both an RQ scheduled job and a time in the database
(``due_at``, ``reminder_due_at``), so the sweeper reschedules whatever Redis
lost. Jobs check the row before acting: a job that fires twice, late or for a
referral that moved on does nothing. What they do to a referral within the
session (open it, text a person) is :mod:`gateway.referrals.notify`; sending
is an outbox row (queued after commit).
"""

from __future__ import annotations

import datetime as dt

from redis import Redis
from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway import queues, runtime
from gateway.aftercommit import defer
from gateway.db import retry_on_conflict, utcnow
from gateway.logs import get_logger
from gateway.models import Alert, FocalPointRecord, Referral
from gateway.outbox import queue_outbound
from gateway.referrals import store
from gateway.referrals.chain import language_at, reachable, reachable_level, supervisor
from gateway.referrals.directory import Directory
from gateway.referrals.facts import alert_facts, referral_facts
from gateway.referrals.lifecycle import transition
from gateway.referrals.notify import open_referral, send_to_person, sms_channel
from gateway.referrals.routing import route
from gateway.referrals.texts import escalation_sms, reminder_sms

log = get_logger(__name__)
JOB_OPTIONS = {"job_timeout": 60, "failure_ttl": 7 * 24 * 3600, "result_ttl": 3600}
WAITING = ("notified", "escalated")
# The escalation event's note, one whole sentence per role (the console translates it).
ESCALATED_TO = {
    "focal point": "to focal point",
    "backup": "to backup",
    "supervisor": "to supervisor",
}


def enqueue_route(redis: Redis, alert_id: int) -> None:
    """Enqueue the routing of a new alert."""
    queues.queue("urgent", redis).enqueue(
        route_alert, alert_id, job_id=f"route-{alert_id}", **JOB_OPTIONS
    )


def route_now_or_later(redis: Redis, alert_id: int) -> None:
    """Route a new alert at once, falling back to a routing job.

    Routing right after the alert commits puts the referral SMS in the queue
    next to the reporter's confirmation instead of behind every job queued
    meanwhile: in a burst of alerts the focal point hears sooner. Routing
    needs only the database, so it also works while Redis is away (the SMS
    row waits for the sweeper). If it fails, a job (or the sweeper) retries.
    """
    try:
        route_alert(alert_id)
    except Exception as exc:
        log.warning("route_deferred", alert_id=alert_id, error=type(exc).__name__)
        enqueue_route(redis, alert_id)


def schedule_escalation(redis: Redis, referral_id: int, level: int, at: dt.datetime) -> None:
    """Schedule the escalation check of ``referral_id`` at ``level`` for ``at``."""
    if at <= utcnow():  # already due (e.g. found by the sweeper): run it now
        queues.queue("urgent", redis).enqueue(
            escalate_referral,
            referral_id,
            level,
            job_id=f"escalate-{referral_id}-{level}",
            **JOB_OPTIONS,
        )
        return
    queues.queue("urgent", redis).enqueue_at(
        at,
        escalate_referral,
        referral_id,
        level,
        job_id=f"escalate-{referral_id}-{level}",
        **JOB_OPTIONS,
    )


def schedule_reminder(redis: Redis, referral_id: int, at: dt.datetime) -> None:
    """Schedule a reminder for an accepted, not closed referral."""
    if at <= utcnow():
        queues.queue("low", redis).enqueue(
            remind_referral, referral_id, job_id=f"remind-{referral_id}", **JOB_OPTIONS
        )
        return
    queues.queue("low", redis).enqueue_at(
        at, remind_referral, referral_id, job_id=f"remind-{referral_id}", **JOB_OPTIONS
    )


def route_alert(alert_id: int) -> str:
    """Route a new alert to an agency and text its focal point (once)."""
    rt = runtime.current()
    with rt.db.session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.routed_at is not None:
            return "skipped"
        directory = store.current(session)
        if directory is None:
            log.warning("no_directory_loaded", alert_id=alert_id)
            return "no directory"
        if not _claim_routing(session, alert_id):
            return "skipped"
        decision = route(directory, store.places(session), alert_facts(alert), utcnow())
        open_referral(
            session,
            directory,
            alert,
            decision.agency_id,
            decision.rule_id,
            list(decision.recipients),
            actor="system",
            channel="system",
        )
        log.info("routed", alert_id=alert_id, agency=decision.agency_id, rule=decision.rule_id)
        return f"routed to {decision.agency_id}"


def _claim_routing(session: Session, alert_id: int) -> bool:
    """Mark the alert routed with one conditional UPDATE; False when another
    routing did first.

    The web routes an alert inline and the sweeper queues a routing job for
    one still unrouted after ``SWEEP_GRACE``: when the inline routing is that
    slow, both read the alert unrouted, and each opened a referral and texted
    the focal point. The second UPDATE waits for the first's commit and then
    matches nothing (a rollback of the routing undoes the mark).
    """
    claimed = session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.routed_at.is_(None))
        .values(routed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def escalate_referral(referral_id: int, level: int) -> str:
    """Nobody accepted in time: text the next person of the chain.

    A focal point's answer committed while the job was at it (the referral's
    version changed) runs the job again, which then finds the referral
    accepted and skips it, instead of failing: a failed job is a problem on
    the status page for a week.
    """
    return retry_on_conflict(lambda: _escalate(referral_id, level))


def _escalate(referral_id: int, level: int) -> str:
    rt = runtime.current()
    with rt.db.session() as session:
        referral = session.get(Referral, referral_id)
        now = utcnow()
        if referral is None or referral.status not in WAITING or referral.level != level:
            return "skipped"
        if referral.due_at is None or referral.due_at > now + dt.timedelta(seconds=2):
            return "not due"
        directory = store.current(session)
        people = referral.people
        nxt = reachable_level(session, referral, level + 1) if directory is not None else None
        if directory is None or nxt is None:
            referral.due_at = None  # the person it waits on may still accept
            return "nobody left"
        waited = int((now - (referral.notified_at or now)).total_seconds() // 60)
        role = str(people[nxt]["role"])
        note = ESCALATED_TO.get(role, f"to {role}")
        transition(referral, "escalate", actor="system", channel="system", note=note)
        text = escalation_sms(
            referral_facts(referral.alert),
            language_at(session, referral, nxt),
            "supervisor" if role == "supervisor" else "backup",
            waited,
        )
        send_to_person(session, directory, referral, nxt, text)
        return f"escalated to {role}"


def remind_referral(referral_id: int) -> str:
    """An accepted referral still open: remind whoever accepted it (run again,
    like :func:`escalate_referral`, when an answer changed the referral meanwhile)."""
    return retry_on_conflict(lambda: _remind(referral_id))


def _remind(referral_id: int) -> str:
    rt = runtime.current()
    with rt.db.session() as session:
        referral = session.get(Referral, referral_id)
        now = utcnow()
        if referral is None or referral.status != "accepted" or referral.reminder_due_at is None:
            return "skipped"
        if referral.reminder_due_at > now + dt.timedelta(seconds=2):
            return "not due"
        record = session.get(FocalPointRecord, referral.accepted_by or "")
        if not reachable(record):
            # Whoever accepted left the directory (or is inactive): remind the
            # agency's supervisor of the chain, who can have it reassigned.
            record = supervisor(session, referral)
        directory = store.current(session)
        if record is None or directory is None:
            referral.reminder_due_at = None
            log.warning("nobody_to_remind", referral_id=referral.id)
            return "nobody to remind"
        days = max(1, (now - (referral.accepted_at or now)).days)
        queue_outbound(
            session,
            contact=record.contact,
            text=reminder_sms(referral.alert.reference, record.language, days),
            channel=sms_channel(referral.alert),
            kind="referral",
            queue="low",
            training=referral.is_training,
        )
        start_reminders(session, directory, referral)
        return "reminded"


def start_reminders(session: Session, directory: Directory, referral: Referral) -> None:
    """(Re)start the reminder timer of an accepted referral."""
    every = directory.escalation_for(referral.agency_id).reminder_after
    referral.reminder_due_at = utcnow() + dt.timedelta(seconds=every)
    due, referral_id = referral.reminder_due_at, referral.id
    defer(session, lambda: schedule_reminder(runtime.current().redis, referral_id, due))
