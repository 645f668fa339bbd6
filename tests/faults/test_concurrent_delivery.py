"""The same webhook delivered ten times at once to a real gunicorn (2 workers × 4 threads).

Providers retry a webhook that timed out, and a retry can arrive while the
first delivery is still being handled, in another process. The unique
provider id and the claim on the row must make the ten deliveries one stored
message, one step of the conversation, one alert and one referral.
"""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from gateway import runtime
from gateway.models import Alert, Message, Referral
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.faults.helpers import (
    ANSWERS,
    IOM_BM,
    REPORTER,
    Procs,
    new_sid,
    post_twilio_http,
    process_env,
    texts_to,
)
from tests.support import count, twilio_sms, work

pytestmark = pytest.mark.slow
DELIVERIES = 10


def test_last_answer_delivered_ten_times_at_once_makes_one_referral(
    loop_app: Flask, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking, procs: Procs
) -> None:
    base = procs.web(
        process_env(loop_app, fake_twilio, fake_at), WEB_CONCURRENCY="2", WEB_THREADS="4"
    )
    for body in ["Bonjour", *ANSWERS[:-1]]:
        status, _ = post_twilio_http(base, twilio_sms(new_sid(), REPORTER, body))
        assert status == 200, procs.tail()
    replies_before = count(Message, Message.direction == "out")
    assert replies_before == len(ANSWERS)

    last = twilio_sms(new_sid(), REPORTER, ANSWERS[-1])
    barrier = threading.Barrier(DELIVERIES)
    statuses: list[int] = []
    lock = threading.Lock()

    def deliver() -> None:
        barrier.wait()
        status, _ = post_twilio_http(base, last)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * DELIVERIES, procs.tail()

    with runtime.current().db.session() as session:
        stored = session.scalars(
            select(Message).where(
                Message.direction == "in", Message.provider_id == last["MessageSid"]
            )
        ).all()
        assert len(stored) == 1 and stored[0].status == "handled"
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
    # One step: one reply, and the alert routed at once to one referral SMS.
    assert count(Message, Message.direction == "out") == replies_before + 2
    assert count(Message, Message.kind == "referral") == 1

    work(loop_app)  # the reply and the referral SMS
    with runtime.current().db.session() as session:
        (referral,) = session.scalars(select(Referral)).all()
        reference = session.scalars(select(Alert.reference)).one()
    assert referral.status == "notified"
    (referral_text,) = texts_to(fake_twilio, IOM_BM)
    assert reference in referral_text
    assert count(Message, Message.kind == "referral") == 1
    assert len(fake_twilio.requests) == count(Message, Message.direction == "out")
