"""A flood from one number is rate-limited; other reporters are not slowed down.

Contract (issue "data protection"): at most ``SENDER_RATE_LIMIT`` messages per
``SENDER_RATE_WINDOW`` seconds from one number are processed; the rest are
stored (nothing is lost) but not processed, and the sender gets one warning,
no other reply. The limit sits above what a whole alert takes (12 messages),
so an honest reporter is never limited.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from flask import Flask

from gateway import create_app, runtime
from gateway.models import Alert, Contact, Message
from gateway.referrals import store
from gateway.sweeper import sweep
from tests.fakes.providers import FakeTwilio
from tests.faults.helpers import ANSWERS, DIRECTORY, IOM_BM, REPORTER, new_sid, texts_to
from tests.support import count, outbound_texts, post_twilio, twilio_sms, work

FLOODER = "+22399887766"
LIMIT = 15  # above the 12 messages of a full alert
FLOOD = 60

pytestmark = pytest.mark.slow


@pytest.fixture
def limited_app(app_config: dict[str, object]) -> Iterator[Flask]:
    # A day-long window: the fixed window cannot roll over during the test.
    app = create_app(
        {
            **app_config,
            "SMS_PROVIDER": "twilio",
            "SENDER_RATE_LIMIT": LIMIT,
            "SENDER_RATE_WINDOW": 24 * 3600,
            "WEBHOOK_IP_LIMIT": 0,  # every test request comes from one address
        }
    )
    with app.app_context():
        store.load_file(runtime.current().db, DIRECTORY)
        yield app
    app.extensions["relais"].db.dispose()


def _sms(app: Flask, sender: str, body: str) -> None:
    response = post_twilio(
        app.test_client(), "/webhooks/twilio/sms", twilio_sms(new_sid(), sender, body)
    )
    assert response.status_code == 200


def test_flood_from_one_number_is_limited_and_others_are_unaffected(
    limited_app: Flask, fake_twilio: FakeTwilio
) -> None:
    reporter_messages = ["Bonjour", *ANSWERS]
    flood = (f"message {n}" for n in range(FLOOD))
    # The reporter's whole alert is interleaved with the flood.
    for body in itertools.chain.from_iterable(
        [(FLOODER, next(flood)), (FLOODER, next(flood)), (REPORTER, answer)]
        for answer in reporter_messages
    ):
        _sms(limited_app, *body)
    for body in flood:
        _sms(limited_app, FLOODER, body)

    assert _inbound_from(FLOODER) == FLOOD  # nothing lost, even when limited
    rt = runtime.current()
    sweep(rt.db, rt.redis, grace=dt.timedelta(0))  # flooded rows must not come back later
    work(limited_app)

    # One reply per processed message, plus one warning; nothing else.
    assert len(outbound_texts(FLOODER)) == LIMIT + 1
    assert len(texts_to(fake_twilio, FLOODER)) == LIMIT + 1
    # The reporter got every answer and their alert went to the focal point.
    assert len(outbound_texts(REPORTER)) == len(reporter_messages)
    with rt.db.session() as session:
        (alert,) = session.query(Alert).all()
        reference = alert.reference
    assert reference in texts_to(fake_twilio, REPORTER)[-1]
    (referral_text,) = texts_to(fake_twilio, IOM_BM)
    assert reference in referral_text


def _inbound_from(number: str) -> int:
    with runtime.current().db.session() as session:
        contact = Contact.find(session, number)
        assert contact is not None
        contact_id = contact.id
    return count(Message, Message.direction == "in", Message.contact_id == contact_id)
