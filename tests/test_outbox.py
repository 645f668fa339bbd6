"""The outbound backbone: row before job, idempotent jobs, the sweeper."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from redis import Redis
from rq import Queue
from sqlalchemy import select, text, update

from gateway import runtime
from gateway.channels.registry import sender_for
from gateway.db import utcnow
from gateway.jobs import max_send_attempts, send_message
from gateway.models import Contact, Message
from gateway.outbox import queue_outbound
from gateway.sweeper import send_job_id, sweep
from gateway.worker import run_worker

NUMBER = "+22376123445"


def _queue_one(app: Flask, text: str = "Merci. Votre référence: K7QX2P") -> int:
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, NUMBER)
        message = queue_outbound(session, contact=contact, text=text, channel="sandbox")
        return message.id


def _message(message_id: int) -> Message:
    with runtime.current().db.session() as session:
        message = session.get_one(Message, message_id)
        _ = message.events, message.contact
        return message


def _sandbox(app: Flask):  # type: ignore[no-untyped-def]
    rt = runtime.current()
    return sender_for("sandbox", rt.settings, rt.senders)


def test_row_is_committed_before_its_job_exists(app: Flask) -> None:
    rt = runtime.current()
    seen_job_before_commit = []
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, NUMBER)
        message = queue_outbound(session, contact=contact, text="Bonjour", channel="sandbox")
        session.flush()
        seen_job_before_commit.append(Queue("high", connection=rt.redis).count)
        message_id = message.id
    assert seen_job_before_commit == [0]
    queue = Queue("high", connection=rt.redis)
    assert queue.job_ids == [send_job_id(message_id)]
    job = queue.fetch_job(send_job_id(message_id))
    assert job is not None and job.args == (message_id,)  # the job carries only the id
    assert _message(message_id).status == "queued"


def test_rolled_back_message_never_becomes_a_job(app: Flask) -> None:
    rt = runtime.current()
    try:
        with rt.db.session() as session:
            contact = Contact.get_or_create(session, NUMBER)
            queue_outbound(session, contact=contact, text="Bonjour", channel="sandbox")
            raise RuntimeError("something failed after the row was added")
    except RuntimeError:
        pass
    assert Queue("high", connection=rt.redis).count == 0
    with rt.db.session() as session:
        assert session.scalars(select(Message)).all() == []


def test_a_savepoint_rolled_back_keeps_the_transactions_sends(app: Flask) -> None:
    """A savepoint's rollback (the race in Contact.get_or_create) dropped every
    enqueue of the whole session, though its rows still committed: they
    waited for the sweeper."""
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, NUMBER)
        message = queue_outbound(session, contact=contact, text="Bonjour", channel="sandbox")
        try:
            with session.begin_nested():
                raise RuntimeError("the savepoint fails")
        except RuntimeError:
            pass
        message_id = message.id
    assert Queue("high", connection=rt.redis).job_ids == [send_job_id(message_id)]


def test_worker_sends_queued_message_once(app: Flask) -> None:
    message_id = _queue_one(app)
    run_worker(app, burst=True, with_scheduler=False)
    message = _message(message_id)
    assert message.status == "sent"
    assert message.provider == "sandbox" and message.provider_id.startswith("SB")
    assert [e.status for e in message.events] == ["queued", "sending", "sent"]
    assert _sandbox(app).sent.count((NUMBER, "Merci. Votre référence: K7QX2P")) == 1


def test_text_is_folded_to_gsm7_and_costed(app: Flask) -> None:
    message_id = _queue_one(app, "Êtes-vous sûr ? Répondez « oui »")
    message = _message(message_id)
    assert message.body == 'Etes-vous sur ? Répondez " oui "'
    assert (message.encoding, message.segments) == ("GSM-7", 1)


def test_job_run_twice_sends_once(app: Flask) -> None:
    message_id = _queue_one(app)
    assert send_message(message_id) == "sent"
    assert send_message(message_id) == "skipped"
    assert len(_sandbox(app).sent) == 1


def test_concurrent_jobs_for_one_message_send_once(app: Flask) -> None:
    message_id = _queue_one(app)
    results: list[str] = []

    def run() -> None:
        with app.app_context():
            results.append(send_message(message_id))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(_sandbox(app).sent) == 1


def test_redis_down_at_commit_keeps_the_row_queued(app: Flask, redis_server) -> None:  # type: ignore[no-untyped-def]
    redis_server.stop()
    message_id = _queue_one(app)  # must not raise
    assert _message(message_id).status == "queued"
    redis_server.start()
    report = sweep(runtime.current().db, Redis.from_url(redis_server.url), grace=dt.timedelta(0))
    assert report.requeued == [message_id]
    run_worker(app, burst=True, with_scheduler=False)
    assert _message(message_id).status == "sent"


def test_sweeper_recovers_jobs_after_flushdb(app: Flask) -> None:
    rt = runtime.current()
    ids = [_queue_one(app, f"Message {n}") for n in range(3)]
    rt.redis.flushdb()  # Redis lost everything
    assert Queue("high", connection=rt.redis).count == 0
    report = sweep(rt.db, rt.redis, grace=dt.timedelta(0))
    assert sorted(report.requeued) == ids
    run_worker(app, burst=True, with_scheduler=False)
    assert [_message(i).status for i in ids] == ["sent"] * 3
    assert len(_sandbox(app).sent) == 3


def test_one_undecryptable_row_does_not_stop_the_sweeper(app: Flask) -> None:
    rt = runtime.current()
    ids = [_queue_one(app, f"Message {n}") for n in range(3)]
    stuck = _queue_one(app, "Stuck")
    foreign = Fernet(Fernet.generate_key()).encrypt(b"x").decode()  # a key we no longer hold
    with rt.db.session() as session:
        session.execute(
            update(Message)
            .where(Message.id.in_([ids[0], stuck]))
            .values(status="sending", claimed_at=utcnow() - dt.timedelta(minutes=10))
        )
        session.execute(
            text("UPDATE messages SET body = :b WHERE id = :i"), {"b": foreign, "i": ids[1]}
        )
    rt.redis.flushdb()
    report = sweep(rt.db, rt.redis, grace=dt.timedelta(0))
    assert sorted(report.requeued) == sorted([*ids, stuck])
    assert sorted(report.recovered_stuck) == sorted([ids[0], stuck])


def test_sweeper_leaves_live_jobs_and_young_rows_alone(app: Flask) -> None:
    rt = runtime.current()
    message_id = _queue_one(app)
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0)).skipped_live == 1
    rt.redis.flushdb()
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(minutes=5)).requeued == []
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0)).requeued == [message_id]


def test_sweeper_resends_a_message_stuck_in_sending(app: Flask) -> None:
    rt = runtime.current()
    message_id = _queue_one(app)
    with rt.db.session() as session:  # a worker claimed it, then died
        message = session.get_one(Message, message_id)
        message.status = "sending"
        message.claimed_at = utcnow() - dt.timedelta(minutes=10)
    rt.redis.flushdb()
    report = sweep(rt.db, rt.redis, grace=dt.timedelta(seconds=60))
    assert report.recovered_stuck == [message_id]
    run_worker(app, burst=True, with_scheduler=False)
    message = _message(message_id)
    assert message.status == "sent" and message.possible_duplicate is True


def test_a_message_whose_every_attempt_died_mid_send_is_not_sent_for_ever(app: Flask) -> None:
    rt = runtime.current()
    message_id = _queue_one(app)
    with rt.db.session() as session:
        message = session.get_one(Message, message_id)
        message.status, message.attempts = "sending", max_send_attempts()
        message.claimed_at = utcnow() - dt.timedelta(minutes=10)
    report = sweep(rt.db, rt.redis, grace=dt.timedelta(seconds=60))
    assert report.recovered_stuck == [] and report.requeued == []
    message = _message(message_id)
    assert (message.status, message.possible_duplicate) == ("failed", True)


def test_recently_claimed_send_is_not_touched(app: Flask) -> None:
    rt = runtime.current()
    message_id = _queue_one(app)
    with rt.db.session() as session:
        message = session.get_one(Message, message_id)
        message.status = "sending"
        message.claimed_at = utcnow()
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0)).recovered_stuck == []
    assert _message(message_id).possible_duplicate is False


def test_retention_purge_is_enqueued_once_a_day(app: Flask) -> None:
    from gateway.worker import schedule_daily_purge

    rt = runtime.current()
    assert schedule_daily_purge(rt.redis) is True
    assert schedule_daily_purge(rt.redis) is False  # already done today
    assert Queue("low", connection=rt.redis).job_ids == ["retention-purge"]
    run_worker(app, burst=True, with_scheduler=False)
    job = Queue("low", connection=rt.redis).fetch_job("retention-purge")
    assert job is not None and job.get_status() == "finished"


@pytest.mark.parametrize(
    ("flag", "kind"),
    [("opted_out", "notification"), ("blocked", "reply"), ("invalid_number", "reply")],
)
def test_a_number_flagged_while_its_message_waits_gets_nothing(
    app: Flask, flag: str, kind: str
) -> None:
    """STOP, a block or an 'invalid number' verdict may arrive after the row was
    queued: the send job itself must suppress it (the dispatcher cannot)."""
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, NUMBER)
        message_id = queue_outbound(
            session, contact=contact, text="Bonjour", channel="sandbox", kind=kind
        ).id
        contact_id = contact.id
    with rt.db.session() as session:
        setattr(session.get_one(Contact, contact_id), flag, True)
    assert send_message(message_id) == "suppressed"
    assert _sandbox(app).sent == []
    assert _message(message_id).status == "suppressed"


def test_an_opted_out_number_still_gets_its_reply(app: Flask) -> None:
    """The confirmation of STOP itself is a reply: it must still go."""
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, NUMBER)
        contact.opted_out = True
        message_id = queue_outbound(session, contact=contact, text="Arrêt", channel="sandbox").id
    assert send_message(message_id) == "sent"


def test_a_send_that_died_on_its_last_allowed_attempt_is_not_sent_again(app: Flask) -> None:
    """SEND_RETRY_DELAYS "0,0,0": the first try and three retries, four attempts in all."""
    rt = runtime.current()
    retries = len(rt.settings.SEND_RETRY_DELAYS.split(","))
    last, not_last = _queue_one(app, "Dernier"), _queue_one(app, "Avant-dernier")
    with rt.db.session() as session:
        for message_id, attempts in ((last, retries + 1), (not_last, retries)):
            message = session.get_one(Message, message_id)
            message.status, message.attempts = "sending", attempts
            message.claimed_at = utcnow() - dt.timedelta(minutes=10)
    report = sweep(rt.db, rt.redis, grace=dt.timedelta(seconds=60))
    assert report.recovered_stuck == [not_last]
    assert (_message(last).status, _message(not_last).status) == ("failed", "queued")


def test_requeue_gives_fresh_attempts_and_enqueues_at_commit(app: Flask) -> None:
    """`relais messages retry`: the row is queued with all its attempts again and its
    job is in Redis at once (not only after the next sweep)."""
    from gateway.outbox import requeue

    rt = runtime.current()
    message_id = _queue_one(app)
    with rt.db.session() as session:
        message = session.get_one(Message, message_id)
        message.status, message.attempts = "failed", max_send_attempts()
        message.next_attempt_at = utcnow()
    rt.redis.flushdb()
    with rt.db.session() as session:
        requeue(session, session.get_one(Message, message_id), detail="operator")
    assert Queue("high", connection=rt.redis).job_ids == [send_job_id(message_id)]
    message = _message(message_id)
    assert (message.status, message.attempts, message.next_attempt_at) == ("queued", 0, None)
