"""The phone simulator talks to the real flows as training data."""

from __future__ import annotations

from flask import Flask

from gateway import runtime
from gateway.models import Message
from gateway.simulate import Phone
from tests.support import alerts, count


def test_sms_conversation_creates_a_training_alert(app: Flask) -> None:
    phone = Phone(runtime.current(), "+22370000001", language="en")
    first = phone.sms("hello")
    assert "What is happening" in first[0]
    for answer in ["1", "5", "Market", "2", "girl", "2", "yes", "0", "no", "no"]:
        replies = phone.sms(answer)
    assert "reference" in replies[-1]
    (alert,) = alerts()
    assert alert.is_training and alert.channel == "sandbox" and alert.consent_callback is False
    assert count(Message, Message.is_training.is_(False)) == 0


def test_ussd_session_pages_and_ends(app: Flask) -> None:
    phone = Phone(runtime.current(), "+22370000002")
    screen = phone.dial()
    assert screen.startswith("CON ")
    for answer in ["3", "1", "5", "Market", "2", "1", "2", "1", "0", "1", "1"]:
        screen = phone.ussd(answer)
    assert screen.startswith("END ") and alerts()[0].reference in screen
