"""Trainers act on training cases from the console; every SMS stays in the simulator.

Real providers are configured here (Twilio, Africa's Talking as fallback, both
the local fakes): an SMS of a training case that left the sandbox would reach
one of them. A real case beside it proves the fakes do receive real SMS.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import runtime
from gateway.channels.sandbox import SandboxSender
from gateway.models import Message
from tests.console.case_helpers import audit_rows, load_directory, make_case, referrals_of
from tests.console.test_case_actions import act, confirm_act
from tests.fakes.providers import FakeAfricasTalking, FakeTwilio
from tests.support import work

Client = Callable[[str], FlaskClient]
SIMULATED = "+22370000601"  # the simulator's range


@pytest.fixture
def real_providers(app_config: dict[str, object]) -> None:
    """Send real SMS through Twilio, failing over to Africa's Talking (both fakes)."""
    app_config.update(SMS_PROVIDER="twilio", SMS_FALLBACK_PROVIDER="africastalking")


def done(client: FlaskClient, response) -> str:  # type: ignore[no-untyped-def]
    """The action was done: a redirect to a page that says so, with no error; its path."""
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "flash-success" in page and "flash-error" not in page
    return str(location)


def test_a_trainer_runs_the_console_side_and_no_sms_leaves_the_sandbox(
    real_providers: None,
    fake_twilio: FakeTwilio,
    fake_at: FakeAfricasTalking,
    app: Flask,
    client_as: Client,
) -> None:
    load_directory()
    real = make_case()  # its referral SMS goes to iom-bko-bm through Twilio
    reference = make_case(training=True, phone=SIMULATED)  # waiting on iom-bko-bm too
    trainer = client_as("trainer")
    done(trainer, act(trainer, reference, "accept"))  # for iom-bko-bm, who is told by SMS
    done(trainer, act(trainer, reference, "note", note="démonstration"))
    done(trainer, act(trainer, reference, "reply", text="Merci, une équipe arrive"))
    moved = done(trainer, confirm_act(trainer, reference, "transfer", agency="dnpef"))
    assert moved == f"/console/cases/{reference}"  # still theirs to follow, whatever the agency
    done(trainer, act(trainer, reference, "assign", focal_point="dnpef-sup"))
    done(trainer, act(trainer, reference, "accept"))
    done(trainer, confirm_act(trainer, reference, "close", outcome="reunified"))
    referrals = referrals_of(reference)
    assert [(r.agency_id, r.status) for r in referrals] == [
        ("iom", "transferred"),
        ("dnpef", "closed"),
    ]
    assert all(r.webhook_status is None for r in referrals)  # no agency system hears of it
    assert all(e.actor == "trainer1" for e in referrals[-1].events if e.channel == "console")
    assert referrals_of(real)[0].status == "notified"  # the real case is untouched

    work(app)  # every queued send, through the configured providers
    with runtime.current().db.session() as session:
        training = list(session.scalars(select(Message).where(Message.is_training.is_(True))))
        out = [m for m in training if m.direction == "out"]
        sent = {(m.channel, m.provider, m.status) for m in out}
        kinds = sorted(m.kind for m in out)
    # Three referral SMS (routing, transfer, assignment), two "accepted for you in
    # the console", the reporter's two pieces of news and the console's reply.
    assert kinds == ["console", *["notification"] * 2, *["referral"] * 5]
    assert sent == {("sandbox", "sandbox", "sent")}
    sandbox = runtime.current().senders["sandbox"]
    assert isinstance(sandbox, SandboxSender) and len(sandbox.sent) == len(out)
    assert fake_at.requests == []
    bodies = [r.form.get("Body", "") for r in fake_twilio.requests]
    assert any(real in body for body in bodies)  # the control: real SMS do reach Twilio
    assert not any(reference in body for body in bodies)

    # The SMS are in the simulated phones, where the class sees them.
    phone = trainer.get("/console/simulator?fp=dnpef-sup").get_data(as_text=True)
    assert f"RELAIS {reference}" in phone
    actions = [(a.actor, a.action, a.target_id) for a in audit_rows_of_cases()]
    assert actions == [
        ("trainer1", f"case.{action}", reference)
        for action in ("accept", "note", "reply", "transfer", "assign", "accept", "close")
    ]


def audit_rows_of_cases() -> list:  # type: ignore[type-arg]
    """Audit rows of case actions (not views), oldest first."""
    rows = [
        row
        for action in ("accept", "note", "reply", "transfer", "assign", "close")
        for row in audit_rows(f"case.{action}")
    ]
    return sorted(rows, key=lambda row: row.id)
