"""Routing an alert: few statements, the directory's document read only once, referrals first."""

from __future__ import annotations

import itertools

import pytest
from flask import Flask

from gateway import queues, runtime
from gateway.models import Alert, Message
from gateway.referrals import store
from gateway.referrals.service import route_alert
from tests.fakes.providers import FakeTwilio
from tests.referrals.conftest import ANSWERS
from tests.support import post_twilio, recorded_statements, twilio_sms, work

REPORTER = "+22376123445"
IOM_BM = "+22366000102"  # IOM's first focal point in the demo directory
_sids = itertools.count(1)


@pytest.fixture
def routed_app(loop_app: Flask) -> Flask:
    """``loop_app`` whose alerts are *not* routed as they are stored: tests route them."""
    runtime.current().alert_hooks.clear()
    return loop_app


def stored_alert(app: Flask) -> int:
    """A whole SMS conversation through the webhook; the id of the alert it stored."""
    client = app.test_client()
    for body in ["Bonjour", *ANSWERS]:
        form = twilio_sms(f"SM{next(_sids):032d}", REPORTER, body)
        assert post_twilio(client, "/webhooks/twilio/sms", form).status_code == 200
    with runtime.current().db.session() as session:
        (alert,) = session.query(Alert).all()
        return alert.id


def test_routing_keeps_to_its_statement_budget_and_reads_no_document(routed_app: Flask) -> None:
    # Routing used to read the newest directory version with its (encrypted)
    # YAML three times, and the first focal point twice.
    alert_id = stored_alert(routed_app)
    with runtime.current().db.session() as session:
        assert store.current(session) is not None  # parsed once (per process) from here on
    with recorded_statements() as statements:
        assert route_alert(alert_id).startswith("routed to")
    assert not any("document" in s for s in statements), statements
    assert sum("FROM directory_versions" in s for s in statements) == 1
    assert sum("FROM focal_points" in s for s in statements) == 1
    assert len(statements) <= 10, "\n".join(statements)


def test_referral_sms_go_out_before_waiting_replies(
    routed_app: Flask, fake_twilio: FakeTwilio
) -> None:
    alert_id = stored_alert(routed_app)  # its replies wait on the "high" queue
    route_alert(alert_id)
    redis = runtime.current().redis
    assert len(queues.queue("high", redis)) == len(ANSWERS) + 1
    assert len(queues.queue("urgent", redis)) == 1
    work(routed_app)
    first = fake_twilio.requests[0].form
    assert first["To"] == IOM_BM, [r.form["To"] for r in fake_twilio.requests]
    with runtime.current().db.session() as session:
        referral_sms = session.query(Message).filter(Message.kind == "referral").one()
        assert (referral_sms.queue, referral_sms.status) == ("urgent", "sent")
