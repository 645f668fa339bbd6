"""The Messages pages: the log (no bodies, masked numbers, filters) and failed jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import queues, runtime
from gateway.models import Message
from tests.console.case_helpers import REPORTER, audit_rows, load_directory, make_case, post
from tests.support import work

Client = Callable[[str], FlaskClient]


def explode() -> None:
    """A job that always fails (its message must never be shown)."""
    raise ValueError("Aminata, +22370000101")


@pytest.fixture
def ref(app: Flask) -> str:
    """A routed case: the reporter's first SMS, the referral SMS to IOM."""
    load_directory()
    return make_case()


def page(client: FlaskClient, query: str = "") -> str:
    response = client.get("/console/messages" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_only_roles_with_messages_view(ref: str, client_as: Client) -> None:
    assert client_as("admin").get("/console/messages").status_code == 200
    for role in ("agency", "trainer"):
        client = client_as(role)
        assert client.get("/console/messages").status_code == 403
        assert client.get("/console/messages/failed-jobs").status_code == 403


def test_log_shows_metadata_and_the_case_but_no_body_or_number(ref: str, client_as: Client) -> None:
    text = page(client_as("coordinator"))
    assert text.count("<tr>") == 3  # header + two messages
    assert "Bonjour" not in text and "RISQUE" not in text and "Badalabougou" not in text
    assert REPORTER not in text and "76123445" not in text
    assert "+223 7•••••45" in text  # masked
    assert f'href="/console/cases/{ref}"' in text  # both messages link to the case
    assert text.count(f">{ref}</a>") == 2
    assert "sandbox" in text and "twilio" in text and "GSM-7" in text


def test_filters(ref: str, client_as: Client) -> None:
    client = client_as("coordinator")
    with runtime.current().db.session() as session:
        inbound = session.scalars(select(Message).where(Message.direction == "in")).one()
        inbound.created_at = dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)
    assert page(client, "?direction=in").count("<tr>") == 2
    assert page(client, "?status=queued").count("<tr>") == 2
    assert page(client, "?status=failed").count("<tr>") == 0
    assert page(client, "?channel=sandbox").count("<tr>") == 2
    assert page(client, "?date_from=2024-05-01&date_to=2024-05-01").count("<tr>") == 2
    assert page(client, "?status=bogus&channel=x").count("<tr>") == 3


def test_training_messages_are_hidden_unless_asked(app: Flask, client_as: Client) -> None:
    load_directory()
    make_case(training=True)
    client = client_as("coordinator")
    assert page(client).count("<tr>") == 0
    assert page(client, "?training=1").count("<tr>") == 3


def test_keyset_pages(app: Flask, client_as: Client) -> None:
    from gateway.models import Contact

    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, REPORTER)
        for n in range(53):
            session.add(
                Message(
                    direction="in",
                    channel="twilio",
                    provider_id=f"SM{n}",
                    contact=contact,
                    body=f"texte {n}",
                    status="handled",
                )
            )
    client = client_as("coordinator")
    first = page(client)
    assert first.count("<tr>") == 51 and "?before=" in first
    before = first.split("?before=")[1].split('"')[0]
    second = page(client, f"?before={before}")
    assert second.count("<tr>") == 4 and "?before=" not in second.split("Newest")[0][-300:]


def test_failed_jobs_are_listed_and_retried(app: Flask, client_as: Client) -> None:
    redis = runtime.current().redis
    queues.queue("low", redis).enqueue(explode, job_id="boom-1")
    queues.queue("default", redis).enqueue(explode, job_id="boom-2")
    client = client_as("coordinator")
    assert "boom-1" not in client.get("/console/messages/failed-jobs").get_data(as_text=True)
    work(app)
    listed = client.get("/console/messages/failed-jobs").get_data(as_text=True)
    assert "boom-1" in listed and "boom-2" in listed and "ValueError" in listed
    assert "tests.console.test_messages.explode" in listed
    assert "Aminata" not in listed and "0101" not in listed

    path = "/console/messages/failed-jobs/retry"
    assert client.post(path, data={"job_id": "boom-1"}).status_code == 400  # no CSRF token
    one = post(client, path, {"job_id": "boom-1"}, page="/console/messages/failed-jobs")
    assert one.status_code == 302
    assert queues.queue("low", redis).job_ids == ["boom-1"]
    every = post(client, path, {"all": "1"}, page="/console/messages/failed-jobs")
    assert every.status_code == 302 and queues.queue("default", redis).job_ids == ["boom-2"]
    left = client.get("/console/messages/failed-jobs").get_data(as_text=True)
    assert "boom-2" not in left
    assert [(a.target_id, a.detail) for a in audit_rows("jobs.retry")] == [
        ("boom-1", "requeued 1, skipped 0"),
        ("all", "requeued 1, skipped 0"),
    ]
    none = post(client, path, {"job_id": "nope"}, page="/console/messages/failed-jobs")
    assert "flash-error" in client.get(none.headers["Location"]).get_data(as_text=True)
