"""Agency webhooks: payload, signature, the delivery job against a local HTTPS server."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from flask.cli import ScriptInfo
from pytest_httpserver import HTTPServer
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from gateway import queues, runtime
from gateway.alerts import create_alert
from gateway.commands.referrals import jobs_group
from gateway.models import Contact, Referral
from gateway.referrals import service, store
from gateway.referrals.directory_model import Webhook
from gateway.referrals.webhook import (
    RETRY_INTERVALS,
    WebhookDeliveryFailed,
    deliver_agency_webhook,
    payload,
    sign,
    verify,
)
from gateway.sweeper import sweep
from tests.support import work

SECRET_ENV = "RELAIS_TEST_WEBHOOK_SECRET"
SECRET = "a-long-shared-secret"
REPORTER = "+22376123445"

DIRECTORY = """\
version: 1
demo: true
agencies:
  - id: iom
    name: OIM test
    webhook:
      url: {url}
      secret_env: {secret_env}
    focal_points:
      - id: iom-fp
        name: Point focal OIM (test)
        phone: "+22370000101"
        languages: [fr]
  - id: dnds
    name: DNDS test
    focal_points:
      - id: dnds-fp
        name: Point focal DNDS (test)
        phone: "+22365000201"
        languages: [fr, bm]
rules:
  - id: separated-iom
    concerns: [separated]
    agency: iom
fallback_agency: dnds
"""


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost: (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HTTPServer, Path]]:
    """A local HTTPS server (the schema only allows https:// webhooks) and its CA file."""
    cert_file, key_file = _certificate(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.start()
    yield server, cert_file
    server.stop()


@pytest.fixture
def httpserver(
    tls_server: tuple[HTTPServer, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[HTTPServer]:
    """The HTTPS server, trusted by ``requests``, with no handler and an empty log."""
    server, ca_file = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    server.clear()
    yield server
    server.clear()


@pytest.fixture
def hooked(app: Flask, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app with a directory whose iom agency pushes to the local server."""
    runtime.current().alert_hooks.clear()  # referrals are made by hand here
    monkeypatch.setenv(SECRET_ENV, SECRET)
    url = httpserver.url_for("/hook")
    assert url.startswith("https://")
    text = DIRECTORY.format(url=url, secret_env=SECRET_ENV)
    store.load_text(runtime.current().db, text, "test-directory.yaml")
    return app


def make_referral(
    agency_id: str = "iom", *, training: bool = False, landmark: str = "près du marché"
) -> int:
    """An alert from REPORTER routed to ``agency_id``; returns the referral id.

    The referral is opened by the routing job's code (:func:`service.route_alert`),
    which queues the webhook delivery when the agency has one.
    """
    answers = {
        "concern": "separated" if agency_id == "iom" else "other",
        "place": "ML-BKO-C5",
        "landmark": landmark,
        "children_count": 2,
        "sex": "girl",
        "age_band": "5-11",
        "risk": "high",
        "consent_callback": "yes",
    }
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, REPORTER)
        alert = create_alert(
            session, contact=contact, answers=answers, language="fr", channel="sandbox", via="sms"
        )
        alert.is_training = training
        session.flush()
        alert_id = alert.id
    service.route_alert(alert_id)
    with runtime.current().db.session() as session:
        referral = session.scalars(select(Referral).where(Referral.alert_id == alert_id)).one()
        assert referral.agency_id == agency_id
        return referral.id


def webhook_status(referral_id: int) -> str | None:
    """The referral's recorded webhook delivery status."""
    with runtime.current().db.session() as session:
        return session.get(Referral, referral_id).webhook_status


def jobs(app: Flask, *args: str) -> str:
    """Run ``relais jobs ...`` and return its output."""
    result = CliRunner().invoke(jobs_group, list(args), obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    return result.output


def test_sign_and_verify() -> None:
    body, now = b'{"a":1}', 1_700_000_000
    header = "sha256=" + sign(b"k", str(now), body)
    assert len(header) == 7 + 64
    assert verify(b"k", str(now), body, header, now=now + 299)
    assert not verify(b"k", str(now), body, header, now=now + 301)  # replayed later
    assert not verify(b"k", str(now), body, header, now=now - 301)
    assert not verify(b"other", str(now), body, header, now=now)
    assert not verify(b"k", str(now), b'{"a":2}', header, now=now)
    assert not verify(b"k", str(now + 1), body, header, now=now)
    assert not verify(b"k", str(now), body, header.removeprefix("sha256="), now=now)
    assert not verify(b"k", "yesterday", body, header, now=now)


def test_payload_has_the_case_and_never_the_reporter(hooked: Flask) -> None:
    referral_id = make_referral()
    with runtime.current().db.session() as session:
        referral = session.get_one(Referral, referral_id)
        data = payload(referral)
        reference = referral.alert.reference
    assert data == {
        "event": "referral.created",
        "reference": reference,
        "agency": "iom",
        "risk": "high",
        "concern": "separated",
        "sex": "girl",
        "age_band": "5-11",
        "children_count": 2,
        "place": "ML-BKO-C5",
        "landmark": "près du marché",
        "consent_callback": True,
        "created_at": data["created_at"],
    }
    assert dt.datetime.fromisoformat(data["created_at"]).tzinfo is not None
    text = json.dumps(data)
    assert REPORTER[-8:] not in text and "contact" not in text


def test_a_number_typed_in_the_landmark_is_hidden(hooked: Flask) -> None:
    referral_id = make_referral(landmark="chez Awa, appelez 76/12/34/45 ou (66) 12 34 45")
    with runtime.current().db.session() as session:
        data = payload(session.get_one(Referral, referral_id))
    assert data["landmark"] == "chez Awa, appelez (tel) ou (tel)"


def test_delivery_is_signed_and_verifiable(hooked: Flask, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    referral_id = make_referral()
    assert deliver_agency_webhook(referral_id) == "delivered (200)"
    [(request, _response)] = httpserver.log
    body = request.get_data()
    headers = request.headers
    assert headers["Content-Type"].startswith("application/json")
    assert headers["X-Relais-Delivery"] == str(referral_id)
    assert verify(
        SECRET.encode(),
        headers["X-Relais-Timestamp"],
        body,
        headers["X-Relais-Signature"],
        now=time.time(),
    )
    assert not verify(
        b"wrong", headers["X-Relais-Timestamp"], body, headers["X-Relais-Signature"], time.time()
    )
    data = json.loads(body)
    assert data["agency"] == "iom" and data["event"] == "referral.created"
    assert REPORTER[-8:] not in body.decode()


def test_routing_queues_a_delivery_only_for_agencies_with_a_webhook(
    hooked: Flask, httpserver: HTTPServer
) -> None:
    redis = runtime.current().redis
    queue = queues.queue("default", redis)
    without = make_referral("dnds")
    training = make_referral(training=True)  # training never leaves Relais
    assert webhook_status(without) is None and webhook_status(training) is None
    referral_id = make_referral()
    assert webhook_status(referral_id) == "pending"
    assert queue.job_ids == [f"webhook-{referral_id}"]
    job = queue.fetch_job(f"webhook-{referral_id}")
    assert job.retries_left == 12 and job.retry_intervals == RETRY_INTERVALS
    assert sum(RETRY_INTERVALS) == 7 * 3600 + 180  # the last retry about 7 hours later
    assert job.failure_ttl == 7 * 24 * 3600
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("", status=204)
    work(hooked)
    assert Job.fetch(job.id, connection=redis).get_status() == "finished"
    assert len(httpserver.log) == 1
    assert webhook_status(referral_id) == "delivered"


def test_server_error_is_retried_later(hooked: Flask, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("down", status=500)
    redis = runtime.current().redis
    referral_id = make_referral()
    work(hooked)
    assert len(httpserver.log) == 1
    job = Job.fetch(f"webhook-{referral_id}", connection=redis)
    assert job.retries_left == 11
    assert job.get_status() == "scheduled"
    assert job.id in ScheduledJobRegistry("default", connection=redis)
    assert jobs(hooked, "failed").strip() == "no failed jobs"
    assert webhook_status(referral_id) == "pending"  # RQ will try again
    # The retry is a live job: the sweeper leaves it alone.
    report = sweep(runtime.current().db, redis, grace=dt.timedelta(0))
    assert report.referrals["webhooks"] == 0


def test_missing_secret_fails_at_once_then_retry_delivers(
    hooked: Flask, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    redis = runtime.current().redis
    referral_id = make_referral()
    work(hooked)
    assert httpserver.log == []
    assert webhook_status(referral_id) == "failed"
    listed = jobs(hooked, "failed")
    line = next(x for x in listed.splitlines() if x.startswith(f"webhook-{referral_id} "))
    assert "  default  gateway.referrals.webhook.deliver_agency_webhook  " in line
    assert line.endswith("  gateway.referrals.webhook.WebhookSecretMissing")
    assert "RELAIS_TEST" not in listed  # the type only, never the message
    assert listed.splitlines()[-1] == "1 failed job(s)"
    # A failed delivery waits for an operator, not for the sweeper.
    assert sweep(runtime.current().db, redis, grace=dt.timedelta(0)).referrals["webhooks"] == 0

    monkeypatch.setenv(SECRET_ENV, SECRET)
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    assert jobs(hooked, "retry", "--all").strip() == "requeued 1 job(s)"
    work(hooked)
    assert len(httpserver.log) == 1
    assert jobs(hooked, "failed").strip() == "no failed jobs"
    assert webhook_status(referral_id) == "delivered"


def test_a_failed_delivery_outlives_its_expired_job(
    hooked: Flask, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RQ forgets a failed job after a week; the referral still says "failed".
    It stayed a problem on the status page for ever, and `jobs retry` answered
    "no failed job": nothing could deliver it or clear it."""
    monkeypatch.delenv(SECRET_ENV)
    first, second = make_referral(), make_referral()
    work(hooked)
    assert webhook_status(first) == webhook_status(second) == "failed"
    runtime.current().redis.flushdb()  # the failed jobs expired
    listed = jobs(hooked, "failed").splitlines()
    assert f"webhook-{first}  default  (job data expired)" in listed
    assert f"webhook-{second}  default  (job data expired)" in listed

    monkeypatch.setenv(SECRET_ENV, SECRET)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    assert jobs(hooked, "retry", f"webhook-{first}").strip() == "requeued 1 job(s)"
    assert webhook_status(first) == "pending" and webhook_status(second) == "failed"
    assert jobs(hooked, "retry", "--all").strip() == "requeued 1 job(s)"
    work(hooked)
    assert len(httpserver.log) == 2
    assert webhook_status(first) == webhook_status(second) == "delivered"
    assert jobs(hooked, "failed").strip() == "no failed jobs"


def test_sweeper_queues_again_a_delivery_that_redis_lost(
    hooked: Flask, httpserver: HTTPServer
) -> None:
    rt = runtime.current()
    referral_id = make_referral()
    rt.redis.flushdb()  # Redis lost the job before any worker took it
    assert queues.queue("default", rt.redis).count == 0
    report = sweep(rt.db, rt.redis, grace=dt.timedelta(0))
    assert report.referrals["webhooks"] == 1
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0)).referrals["webhooks"] == 0  # live now
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    work(hooked)
    assert len(httpserver.log) == 1
    assert webhook_status(referral_id) == "delivered"
    rt.redis.flushdb()
    assert sweep(rt.db, rt.redis, grace=dt.timedelta(0)).referrals["webhooks"] == 0


def test_a_delivery_for_an_agency_without_webhook_any_more_is_skipped(
    hooked: Flask, httpserver: HTTPServer
) -> None:
    referral_id = make_referral()
    plain = DIRECTORY.replace(
        "    webhook:\n      url: {url}\n      secret_env: {secret_env}\n", ""
    )
    assert "webhook" not in plain
    store.load_text(runtime.current().db, plain, "no-webhook.yaml")
    work(hooked)
    assert httpserver.log == []
    assert webhook_status(referral_id) == "skipped"


def test_an_example_address_is_never_called(hooked: Flask, httpserver: HTTPServer) -> None:
    """The demo directory's made-up endpoints (example.org) would only fill Failed jobs."""
    redis = runtime.current().redis
    pending = make_referral()  # queued for the local server...
    example = DIRECTORY.format(url="https://primero.example.org/relais", secret_env=SECRET_ENV)
    store.load_text(runtime.current().db, example, "example-webhook.yaml")
    routed = make_referral()
    assert webhook_status(routed) == "example"  # recorded, no job
    assert queues.queue("default", redis).job_ids == [f"webhook-{pending}"]
    work(hooked)  # ...and the directory now gives an example address: not called either
    assert httpserver.log == []
    assert webhook_status(pending) == "example"
    assert "webhook" not in jobs(hooked, "failed")


@pytest.mark.parametrize(
    ("url", "example"),
    [
        ("https://primero.example.org/relais/iom", True),
        ("https://example.com/x", True),
        ("http://hooks.example/x", True),
        ("https://relais.test:8443/x", True),
        ("https://EXAMPLE.NET./x", True),
        ("https://cases.unicef.org/relais", False),
        ("https://example.org.ml/x", False),
        ("https://myexample.org/x", False),
        ("https://127.0.0.1:8000/hook", False),
    ],
)
def test_example_addresses(url: str, example: bool) -> None:
    assert Webhook(url, "X").is_example is example


def test_redirects_and_network_errors_fail_the_attempt(
    hooked: Flask, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    referral_id = make_referral()
    with pytest.raises(WebhookDeliveryFailed, match="answered HTTP 302"):
        deliver_agency_webhook(referral_id)
    assert len(httpserver.log) == 1  # the redirect was not followed
    closed = DIRECTORY.format(url="https://localhost:1/hook", secret_env=SECRET_ENV)
    store.load_text(runtime.current().db, closed, "closed-port.yaml")
    with pytest.raises(WebhookDeliveryFailed, match="ConnectionError"):
        deliver_agency_webhook(referral_id)


def test_the_documented_snippet_verifies_our_signature() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "agency-webhook.md").read_text("utf-8")
    snippet = doc.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(snippet, "agency-webhook.md", "exec"), namespace)  # noqa: S102
    documented = namespace["verify"]
    assert callable(documented)
    body, now = b'{"reference":"K7QX2P"}', time.time()
    header = "sha256=" + sign(b"s3cret", str(int(now)), body)
    assert documented(b"s3cret", str(int(now)), body, header, now=now)
    assert not documented(b"s3cret", str(int(now)), body + b" ", header, now=now)
    assert not documented(b"s3cret", str(int(now) - 600), body, header, now=now)
