"""Fault injection with real worker processes: a worker killed mid-send.

The worker runs as one process (``WORKER_PROCESSES=1``, from
:func:`tests.faults.helpers.process_env`): SIGKILL must hit the process that
holds the send. Under the default pool of two, SIGKILL hit the supervisor and
the sending child, told by Linux to stop (SIGTERM), finished its send while
the next worker's sweeper sent the message again: three requests or two,
depending on timing (a flaky test, not the fault it meant to show).
"""

from __future__ import annotations

import signal

import pytest
from flask import Flask

from gateway import runtime
from gateway.models import Contact, Message
from gateway.outbox import queue_outbound
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.faults.helpers import Procs, process_env, wait_for

pytestmark = pytest.mark.slow


def _status(message_id: int) -> Message:
    with runtime.current().db.session() as session:
        return session.get_one(Message, message_id)


def test_worker_killed_mid_send_still_delivers_and_flags_the_duplicate(
    app: Flask, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking, procs: Procs
) -> None:
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, "+22366000102")
        message_id = queue_outbound(
            session,
            contact=contact,
            text="RELAIS K7QX2P",
            channel="twilio",
            kind="referral",
            queue="default",
        ).id
    env = process_env(app, fake_twilio, fake_at, SEND_STUCK_AFTER="2")
    fake_twilio.default = fake_twilio.slow(30)  # the provider takes its time...
    first = procs.start("worker", env)
    assert wait_for(lambda: len(fake_twilio.requests) == 1), "no send\n" + procs.tail()
    first.send_signal(signal.SIGKILL)  # ...and the worker dies while waiting
    first.wait(timeout=10)
    assert _status(message_id).status == "sending"
    fake_twilio.default = fake_twilio.success()
    procs.start("worker", env)
    assert wait_for(lambda: _status(message_id).status == "sent"), (
        _status(message_id).status + "\n" + procs.tail()
    )
    message = _status(message_id)
    assert message.possible_duplicate is True  # the first try may have gone out: counted
    assert len(fake_twilio.requests) == 2, procs.tail()
