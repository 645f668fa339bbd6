"""``/metrics``: off without a token, refused with a wrong one, gauges that follow the data."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from gateway import create_app, runtime
from gateway.alerts import create_alert
from gateway.config import ConfigError, load_settings
from gateway.db import utcnow
from gateway.embedded_redis import EmbeddedRedis
from gateway.models import Contact, Referral
from gateway.outbox import queue_outbound

TOKEN = "metrics-token-0123456789"
REPORTER = "+22376123445"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """The test settings with /metrics switched on."""
    return {**app_config, "METRICS_TOKEN": TOKEN}


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by (name, sorted labels)."""
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_off_without_a_token(app_config: dict[str, object]) -> None:
    app = create_app({**app_config, "METRICS_TOKEN": ""})
    with app.app_context():
        assert app.test_client().get("/metrics", headers=AUTH).status_code == 404
    app.extensions["relais"].db.dispose()


def test_a_missing_or_wrong_token_is_refused(client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "relais_" not in response.get_data(as_text=True)


def test_a_short_token_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="METRICS_TOKEN must be at least 16"):
        load_settings({"METRICS_TOKEN": "short"}, environ={})


def test_gauges_follow_the_database_and_redis(app: Flask, client: FlaskClient) -> None:
    empty = scrape(client)
    assert empty[("relais_database_up", ())] == 1 and empty[("relais_redis_up", ())] == 1
    assert empty[("relais_messages", (("direction", "out"), ("status", "queued")))] == 0
    assert empty[("relais_oldest_pending_send_age_seconds", ())] == 0
    assert empty[("relais_workers", ())] == 0

    runtime.current().alert_hooks.clear()  # alerts stay unrouted here
    now = utcnow()
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, REPORTER)
        for n in range(2):
            queue_outbound(session, contact=contact, text=f"reply {n}", channel="sandbox")
        failed = queue_outbound(session, contact=contact, text="gave up", channel="sandbox")
        failed.status = "failed"
        failed.created_at = now - dt.timedelta(hours=2)
        answers = {"concern": "separated", "place": "ML-BKO-C5", "risk": "high"}
        alert = create_alert(
            session, contact=contact, answers=answers, language="fr", channel="sandbox", via="sms"
        )
        alert.created_at = now - dt.timedelta(minutes=5)
        for agency, due, hook in (("iom", 10, "pending"), ("dnds", -10, "failed")):
            session.add(
                Referral(
                    alert=alert,
                    agency_id=agency,
                    status="notified",
                    chain="[]",
                    due_at=now - dt.timedelta(minutes=due),
                    webhook_status=hook,
                )
            )
        # Waiting on the end of its chain (no escalation left), past its deadline.
        session.add(
            Referral(
                alert=alert,
                agency_id="unicef",
                status="notified",
                chain="[]",
                answer_by=now - dt.timedelta(minutes=1),
            )
        )
    found = scrape(client)
    assert found[("relais_messages", (("direction", "out"), ("status", "queued")))] == 2
    assert found[("relais_messages", (("direction", "out"), ("status", "failed")))] == 1
    assert 0 <= found[("relais_oldest_pending_send_age_seconds", ())] < 600
    # three jobs: the row marked failed here was queued like the others
    assert found[("relais_queue_jobs", (("queue", "high"),))] == 3
    assert found[("relais_failed_jobs", (("queue", "high"),))] == 0
    assert found[("relais_alerts_unrouted", ())] == 1
    assert found[("relais_referrals_waiting", ())] == 3
    assert found[("relais_referrals_overdue", ())] == 1  # due 10 minutes ago
    assert found[("relais_referrals_unanswered", ())] == 1
    assert found[("relais_agency_webhooks", (("status", "pending"),))] == 1
    assert found[("relais_agency_webhooks", (("status", "failed"),))] == 1
    text = client.get("/metrics", headers=AUTH).get_data(as_text=True)
    assert REPORTER[-8:] not in text and alert.reference not in text


def test_redis_down_is_reported_not_zeroed(
    app: Flask, client: FlaskClient, redis_server: EmbeddedRedis
) -> None:
    redis_server.stop()  # the next test's redis_url fixture starts it again
    found = scrape(client)
    assert found[("relais_redis_up", ())] == 0
    assert found[("relais_database_up", ())] == 1
    assert not any(name == "relais_queue_jobs" for name, _labels in found)
    assert ("relais_messages", (("direction", "in"), ("status", "received"))) in found
