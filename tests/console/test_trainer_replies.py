"""A trainer's SMS to a training case's reporter changes nothing for a real person.

A training alert may come from a real person's number (``relais simulate
--number``). The trainer's reply goes to the sandbox; it must not make that
person's next real SMS an "answer to staff" (noted on their real case instead
of starting the report they are sending), nor take their answer to real staff
off their real case's page.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.models import Conversation
from tests.console.case_helpers import REPORTER, load_directory, make_case, referrals_of
from tests.console.test_case_actions import act
from tests.fakes.providers import FakeTwilio
from tests.referrals.test_loop import sms, texts_to
from tests.support import count, work

Client = Callable[[str], FlaskClient]


@pytest.fixture
def twilio(app_config: dict[str, object]) -> None:
    """Real SMS come and go through (fake) Twilio."""
    app_config.update(SMS_PROVIDER="twilio")


def reply(client: FlaskClient, reference: str, text: str) -> None:
    response = act(client, reference, "reply", text=text)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_a_trainers_reply_does_not_swallow_a_real_persons_new_report(
    twilio: None, fake_twilio: FakeTwilio, app: Flask, client_as: Client
) -> None:
    load_directory()
    real = make_case(phone=REPORTER)  # still open
    demo = make_case(training=True, phone=REPORTER)  # a demo from the same real number
    reply(client_as("trainer"), demo, "Ou etes-vous ?")
    work(app)
    conversations = count(Conversation)
    sms(app.test_client(), REPORTER, "Un autre enfant pleure seul a la gare")
    work(app)
    assert count(Conversation) == conversations + 1  # a new report starts
    assert "message transmis" not in texts_to(fake_twilio, REPORTER)[-1]
    notes = [event.note for event in referrals_of(real)[0].events]
    assert "SMS from the reporter" not in notes


def test_a_trainers_reply_does_not_take_a_real_answer_off_the_real_case(
    twilio: None, fake_twilio: FakeTwilio, app: Flask, client_as: Client
) -> None:
    load_directory()
    real = make_case(phone=REPORTER)
    coordinator = client_as("coordinator")
    reply(coordinator, real, "L'enfant est-il toujours au marche ?")
    demo = make_case(training=True, phone=REPORTER)
    reply(client_as("trainer"), demo, "Ou etes-vous ?")
    work(app)
    sms(app.test_client(), REPORTER, "Oui il est devant la boutique")
    work(app)
    notes = [event.note for event in referrals_of(real)[0].events]
    assert "SMS from the reporter" in notes  # the answer went to the real case
    page = coordinator.get(f"/console/cases/{real}").get_data(as_text=True)
    assert "Oui il est devant la boutique" in page
