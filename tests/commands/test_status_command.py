"""``relais status``: problems first, counts after, exit 1 when something needs attention."""

from __future__ import annotations

from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from rq import Worker

from gateway import queues, runtime
from gateway.commands.status import status_command
from gateway.models import Contact
from gateway.outbox import queue_outbound


def invoke(app: Flask, *args: str) -> Result:
    """Run ``relais status`` against ``app``."""
    return CliRunner().invoke(status_command, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_no_worker_is_named_with_what_to_do_and_exit_1(app: Flask) -> None:
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, "+22376123445")
        queue_outbound(session, contact=contact, text="Bonjour", channel="sandbox")
    result = invoke(app)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("needs attention: no_worker: No worker is running")
    assert "messages out: received 0, handling 0, queued 1," in result.output
    assert "jobs waiting: urgent 0, high 1, default 0, low 0" in result.output
    assert "76123445" not in result.output and "Bonjour" not in result.output
    quiet = invoke(app, "--quiet")
    assert quiet.exit_code == 1 and quiet.output == ""


def test_all_well_is_exit_0(app: Flask) -> None:
    redis = runtime.current().redis
    worker = Worker(queues.all_queues(redis), connection=redis)
    worker.register_birth()  # a live worker, as `relais worker` registers
    try:
        result = invoke(app)
    finally:
        worker.register_death()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "ok: nothing needs attention"
    assert "workers 1;" in result.output
