"""Logs are JSON lines with request and job ids; no number in clear, no body."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from flask import Flask

from gateway import logs, runtime
from gateway.logs import get_logger
from gateway.models import Contact
from gateway.outbox import queue_outbound
from gateway.worker import run_worker


def _capture() -> io.StringIO:
    stream = io.StringIO()
    logs.configure("INFO", stream=stream)
    return stream


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_numbers_are_masked_and_bodies_dropped() -> None:
    stream = _capture()
    get_logger("test").info(
        "inbound from +22376123445", sender="+22365432198", body="Mon enfant s'appelle Awa"
    )
    raw = stream.getvalue()
    assert "76123445" not in raw and "65432198" not in raw and "Awa" not in raw
    (record,) = _records(stream)
    assert record["sender"] == "+223 6\u2022\u2022\u2022\u2022\u202298"
    assert record["body"] == "[redacted]"
    assert record["level"] == "info" and "timestamp" in record


def test_foreign_loggers_are_masked_too() -> None:
    stream = _capture()
    logging.getLogger("some.library").warning("could not reach +22376123445")
    assert "76123445" not in stream.getvalue()
    assert _records(stream)[0]["event"] == "could not reach +223 7\u2022\u2022\u2022\u2022\u202245"


def test_times_and_fractions_stay_readable_next_to_masked_numbers() -> None:
    stream = _capture()
    logging.getLogger("rq.worker").info(
        "Successfully completed send job in 0:00:00.012345s; at 2026-11-29 17:10:00.123456"
        " took 0.25 s, call 76 12 34 45 or 0.76123445 or 17:10:00.76123445"
    )
    (record,) = _records(stream)
    event = str(record["event"])
    assert "in 0:00:00.012345s; at 2026-11-29 17:10:00.123456 took 0.25 s" in event
    # Numbers keep their mask, even written right after a time or as a "fraction".
    assert "76123445" not in event and "12 34 45" not in event
    assert len(re.findall("\\+\\d+ \\d\u2022+\\d\\d", event)) == 3


@pytest.mark.parametrize(
    "text",
    [
        "call 0.76 12 34 45 now",
        "+223 0.76 12 34 45",
        "reporter 0.76.12.34.45",
        "76123445:00:00",
        "at 17:10:00 76 12 34 45",
    ],
)
def test_a_number_that_starts_like_a_time_or_a_fraction_is_masked(text: str) -> None:
    digits = re.sub(r"\D", "", text)
    masked = logs.mask_in_log(text)
    assert "\u2022" in masked and "12 34" not in masked and "34.45" not in masked
    assert digits[-8:-2] not in re.sub(r"\D", "", masked)


@pytest.mark.parametrize(
    "machine_id",
    [
        "eab1a268d7d6486186653fca16a5cb9a",  # RQ worker name (uuid4 hex)
        "3f2c1e0a-8422-4752-b24e-35e4d3ff5aa1",  # RQ job id
        "SM3be1ff773885456096ebf360c3a9df95",  # Twilio message SID
        "ATXid_09cdca599ab845d8853051665cd0",  # Africa's Talking message id
    ],
)
def test_machine_ids_stay_whole_and_numbers_beside_them_are_masked(machine_id: str) -> None:
    masked = logs.mask_in_log(f"Worker {machine_id}: sent to +22376123445 at 0:00:00.01")
    number = "+223 7\u2022\u2022\u2022\u2022\u202245"
    assert masked == f"Worker {machine_id}: sent to {number} at 0:00:00.01"


@pytest.mark.parametrize(
    "text",
    [
        "22376123445deadbeef",
        "id abc76123445",
        "ref 76123445-abcd",
        "x 76123445abcdefab99 y",
        "+22376123445deadbeefcafe",  # long enough for an id, but a "+" opens it
    ],
)
def test_a_number_glued_to_a_short_hex_word_is_still_masked(text: str) -> None:
    assert "\u2022" in logs.mask_in_log(text)


def test_rq_registry_cleaning_is_logged_only_at_debug() -> None:
    # Each worker process cleans every queue's registries at each sweep.
    line = "Worker %s: cleaning registries for queue: %s"
    stream = _capture()
    logging.getLogger("rq.worker").info(line, "abc", "urgent")
    job_line = "urgent: gateway.jobs.send_message(7) (send-7)"
    logging.getLogger("rq.worker").info(job_line)
    assert [r["event"] for r in _records(stream)] == [job_line]
    stream = io.StringIO()
    logs.configure("DEBUG", stream=stream)
    try:
        logging.getLogger("rq.worker").info(line, "abc", "urgent")
    finally:
        _capture()  # back to INFO for the tests that follow
    assert _records(stream)[0]["event"] == "Worker abc: cleaning registries for queue: urgent"


def test_exceptions_keep_type_not_text() -> None:
    stream = _capture()
    try:
        raise ValueError("body was: help my child +22376123445")
    except ValueError as exc:
        get_logger("test").error("failed", exc_info=exc)
    raw = stream.getvalue()
    assert "help my child" not in raw and "76123445" not in raw
    assert _records(stream)[0]["exception_type"] == "ValueError"


def test_requests_are_logged_with_an_id_and_without_query(app: Flask) -> None:
    stream = _capture()
    response = app.test_client().get("/healthz?token=secret-token-123")
    assert response.headers["X-Request-ID"]
    (record,) = [r for r in _records(stream) if r["event"] == "request"]
    assert record["path"] == "/healthz" and record["status"] == 200
    assert record["request_id"] == response.headers["X-Request-ID"]
    assert "secret-token-123" not in stream.getvalue()


def test_job_logs_carry_the_job_id_and_no_number(app: Flask) -> None:
    rt = runtime.current()
    with rt.db.session() as session:
        contact = Contact.get_or_create(session, "+22376123445")
        queue_outbound(session, contact=contact, text="Bonjour Awa", channel="sandbox")
    stream = _capture()
    run_worker(app, burst=True, with_scheduler=False)
    records = _records(stream)
    sent = [r for r in records if r["event"] == "sent"]
    assert sent and sent[0]["job_id"] == "send-1"
    raw = stream.getvalue()
    assert "76123445" not in raw and "Bonjour Awa" not in raw


def test_library_tracebacks_keep_the_exception_type_only() -> None:
    import logging

    stream = _capture()
    try:
        raise KeyError("Awa, 12 ans, +22376123445")
    except KeyError:
        import traceback

        logging.getLogger("rq.worker").error("job failed\n%s", traceback.format_exc())
    raw = stream.getvalue()
    assert "Awa" not in raw and "76123445" not in raw and "Traceback" not in raw
    (record,) = _records(stream)
    assert record["event"] == "job failed" and record["exception_type"] == "KeyError"
