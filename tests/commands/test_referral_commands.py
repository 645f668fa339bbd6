"""``relais directory``, ``relais route``, ``relais jobs`` and the release step's directory."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo

from gateway import create_app, queues, runtime
from gateway.cli import main
from gateway.commands.referrals import directory_group, exception_type, jobs_group, route_command
from gateway.referrals.directory import load_directory
from tests.conftest import make_config
from tests.support import work

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bamako-directory.yaml"


@click.group()
def cli() -> None:
    """A throwaway group holding the commands under test."""


cli.add_command(directory_group)
cli.add_command(route_command)
cli.add_command(jobs_group)


def invoke(app: Flask, args: list[str], group: click.Group = cli) -> Result:
    """Run a command against ``app``."""
    return CliRunner().invoke(group, args, obj=ScriptInfo(create_app=lambda: app))


def demo_digits() -> list[str]:
    """The last six digits of every demo phone number (must never be printed)."""
    directory = load_directory(EXAMPLE)
    return [fp.phone[-6:] for a in directory.agencies for fp in a.focal_points]


def assert_no_phone(text: str) -> None:
    """No demo number appears in clear in ``text``."""
    leaked = [digits for digits in demo_digits() if digits in text]
    assert not leaked, leaked


def explode() -> None:
    """A job that fails with personal data in its message."""
    raise ValueError("could not reach +22370000101 about Aminata")


# --- directory ---------------------------------------------------------------


def test_a_demo_directory_is_refused_in_production(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its made-up numbers would receive real referrals (landmark, then the
    reporter's number): a DIRECTORY_FILE carried over from `make run`."""
    settings = runtime.current().settings
    monkeypatch.setattr(settings, "RELAIS_ENV", "production")
    refused = invoke(app, ["directory", "load", str(EXAMPLE)])
    assert refused.exit_code == 1
    assert f"{EXAMPLE}:9: demo: true marks a demonstration directory" in refused.output
    assert "NOT loaded" in refused.output
    monkeypatch.setattr(settings, "ALLOW_DEMO_DIRECTORY", True)  # a training server
    assert invoke(app, ["directory", "load", str(EXAMPLE)]).exit_code == 0


def test_directory_load_example_then_unchanged(app: Flask) -> None:
    first = invoke(app, ["directory", "load", str(EXAMPLE)])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("loaded version 1\n")
    assert "agency added: iom" in first.output
    second = invoke(app, ["directory", "load", str(EXAMPLE)])
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "unchanged (version 1)"


def test_broken_directory_lists_file_and_line_and_exits_1(app: Flask, tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('phone: "+22365000201"', 'phone: "+2231"')
    text = text.replace("fallback_agency: dnds", "fallback_agency: nobody")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    result = invoke(app, ["directory", "load", str(broken)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    problems = [line for line in result.stderr.splitlines() if line.startswith(f"{broken}:")]
    assert len(problems) == 2, result.stderr
    assert all(re.match(rf"{re.escape(str(broken))}:\d+: ", line) for line in problems)
    assert "unknown fallback agency 'nobody'" in result.stderr
    assert "Traceback" not in result.output
    assert invoke(app, ["directory", "show"]).exit_code == 1  # nothing was loaded


def test_changed_file_prints_masked_phone_changes(app: Flask, tmp_path: Path) -> None:
    assert invoke(app, ["directory", "load", str(EXAMPLE)]).exit_code == 0
    changed = tmp_path / "bamako.yaml"
    text = EXAMPLE.read_text(encoding="utf-8").replace('"+22370000101"', '"+22370999199"')
    changed.write_text(text, encoding="utf-8")
    result = invoke(app, ["directory", "load", str(changed)])
    assert result.exit_code == 0, result.output
    assert "loaded version 2" in result.output
    assert "focal point iom-bko-fr: phone: +223 7•••••01 → +223 7•••••99" in result.output
    assert "999199" not in result.output
    assert_no_phone(result.output)


def test_show_and_history_mask_phones(app: Flask, tmp_path: Path) -> None:
    assert invoke(app, ["directory", "load", str(EXAMPLE)]).exit_code == 0
    smaller = tmp_path / "smaller.yaml"
    text = EXAMPLE.read_text(encoding="utf-8").replace("  high: 15m\n", "  high: 20m\n", 1)
    smaller.write_text(text, encoding="utf-8")
    assert invoke(app, ["directory", "load", str(smaller)]).exit_code == 0

    show = invoke(app, ["directory", "show"])
    assert show.exit_code == 0, show.output
    assert "Directory version 2 (in force)" in show.output
    assert f"source:       {smaller}" in show.output
    assert "agencies:     5" in show.output and "rules:        6" in show.output
    assert "focal points: 16 (15 active)" in show.output
    assert "demo:         yes" in show.output
    assert "iom-bko-bm  +223 6•••••02" in show.output
    assert_no_phone(show.output)

    history = invoke(app, ["directory", "history"])
    assert history.exit_code == 0, history.output
    lines = history.output.splitlines()
    assert lines[0].startswith("version 2 ") and lines[0].endswith("(in force)")
    assert "  escalation high: 15m → 20m" in lines
    assert any(line.startswith("version 1 ") for line in lines)
    assert_no_phone(history.output)


def test_show_and_history_without_directory_exit_1(app: Flask) -> None:
    for command in ("show", "history"):
        result = invoke(app, ["directory", command])
        assert result.exit_code == 1
        assert "no directory loaded" in result.stderr


# --- route -------------------------------------------------------------------


def test_route_explains_the_example(app: Flask) -> None:
    assert invoke(app, ["directory", "load", str(EXAMPLE)]).exit_code == 0
    args = ["route", "--concern", "separated", "--place", "ML-BKO-C5", "--risk", "high"]
    result = invoke(app, [*args, "--at", "2025-01-14T14:05Z"])
    assert result.exit_code == 0, result.output
    assert "At: Tue 2025-01-14 14:05 (Africa/Bamako)" in result.output
    assert "  - rule separated-iom: matched" in result.output
    assert "Chosen: iom-bko-bm speaks fr" in result.output
    assert re.search(r"now  focal point  iom-bko-bm .* \+223 6•••••02", result.output)
    assert_no_phone(result.output)
    assert invoke(app, args).exit_code == 0  # default: now


def test_route_naive_time_is_in_the_directory_time_zone(app: Flask) -> None:
    assert invoke(app, ["directory", "load", str(EXAMPLE)]).exit_code == 0
    args = ["route", "--concern", "street", "--place", "ML-BKO-C2", "--risk", "medium"]
    night = invoke(app, [*args, "--sex", "girl", "--age-band", "5-11", "--at", "2026-11-28T21:30"])
    assert night.exit_code == 0, night.output
    assert "At: Sat 2026-11-28 21:30 (Africa/Bamako)" in night.output
    assert "rule night-street: matched" in night.output
    day = invoke(app, [*args, "--at", "2026-11-28T12:00"])
    assert "rule night-street: concern" not in day.output
    assert "time 12:00 Sat is outside mon-sun 19:00-07:00" in day.output


def test_route_refuses_unknown_values(app: Flask) -> None:
    assert invoke(app, ["directory", "load", str(EXAMPLE)]).exit_code == 0
    place = invoke(app, ["route", "--concern", "separated", "--place", "ML-XX", "--risk", "high"])
    assert place.exit_code == 2
    assert "unknown place code 'ML-XX'" in place.output and "ML-BKO-C5" in place.output
    concern = invoke(app, ["route", "--concern", "lost", "--place", "ML-BKO", "--risk", "high"])
    assert concern.exit_code == 2
    assert "'lost' is not one of" in concern.output and "separated" in concern.output
    at = invoke(app, ["route", "--concern", "other", "--place", "ML", "--risk", "low", "--at", "x"])
    assert at.exit_code == 2 and "is not a date-time" in at.output
    for result in (place, concern, at):
        assert "Traceback" not in result.output


def test_route_without_directory_exits_1(app: Flask) -> None:
    result = invoke(app, ["route", "--concern", "separated", "--place", "ML-BKO", "--risk", "high"])
    assert result.exit_code == 1
    assert "no directory loaded" in result.stderr


# --- jobs --------------------------------------------------------------------


def test_failed_jobs_are_listed_by_exception_type_and_retried(app: Flask) -> None:
    redis = runtime.current().redis
    for n in (1, 2):
        queues.queue("low" if n == 1 else "default", redis).enqueue(explode, job_id=f"boom-{n}")
    assert invoke(app, ["jobs", "failed"]).output.strip() == "no failed jobs"
    work(app)

    listed = invoke(app, ["jobs", "failed"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[-1] == "2 failed job(s)"
    boom = next(line for line in lines if line.startswith("boom-1 "))
    assert "  low  tests.commands.test_referral_commands.explode  failed 20" in boom
    assert boom.endswith("  ValueError")
    assert "Aminata" not in listed.output and "0101" not in listed.output

    missing = invoke(app, ["jobs", "retry", "nope"])
    assert missing.exit_code == 1 and "no failed job 'nope'" in missing.stderr
    assert invoke(app, ["jobs", "retry"]).exit_code == 2
    assert invoke(app, ["jobs", "retry", "boom-1", "--all"]).exit_code == 2

    one = invoke(app, ["jobs", "retry", "boom-1"])
    assert one.exit_code == 0 and one.output.strip() == "requeued 1 job(s)"
    assert queues.queue("low", redis).job_ids == ["boom-1"]
    assert invoke(app, ["jobs", "failed"]).output.splitlines()[-1] == "1 failed job(s)"
    every = invoke(app, ["jobs", "retry", "--all"])
    assert every.output.strip() == "requeued 1 job(s)"
    assert queues.queue("default", redis).job_ids == ["boom-2"]
    assert invoke(app, ["jobs", "failed"]).output.strip() == "no failed jobs"


def test_exception_type_never_returns_the_message() -> None:
    chained = (
        'Traceback (most recent call last):\n  File "a.py", line 1, in f\n'
        "KeyError: 'x'\n\nDuring handling of the above exception, another exception occurred:\n\n"
        'Traceback (most recent call last):\n  File "b.py", line 2, in g\n    g()\n    ^^^\n'
        "requests.exceptions.ConnectionError: host +22370000101\nsecond line: Aminata\n"
    )
    assert exception_type(chained) == "requests.exceptions.ConnectionError"
    assert exception_type("Traceback (most recent call last):\nValueError\n") == "ValueError"
    assert exception_type("Traceback (most recent call last):\n$%^ weird: x\n") == "unknown"
    assert exception_type(None) == "unknown"


# --- release -----------------------------------------------------------------


def test_release_loads_directory_file(database_url: str, redis_url: str, tmp_path: Path) -> None:
    config = make_config(database_url, redis_url, DIRECTORY_FILE=str(EXAMPLE))
    app = create_app(config)
    try:
        result = invoke(app, ["release"], group=main)
        assert result.exit_code == 0, result.output
        assert f"directory file {EXAMPLE}:\nloaded version 1\n" in result.output
        assert_no_phone(result.output)
        again = invoke(app, ["release"], group=main)
        assert "unchanged (version 1)" in again.output
        with app.app_context():
            shown = invoke(app, ["directory", "show"])
        assert (
            shown.exit_code == 0 and "loaded at:" in shown.output and "by release" in shown.output
        )
    finally:
        app.extensions["relais"].db.dispose()

    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nagencies: []\n", encoding="utf-8")
    app = create_app(make_config(database_url, redis_url, DIRECTORY_FILE=str(broken)))
    try:
        failed = invoke(app, ["release"], group=main)
        assert failed.exit_code == 1
        assert f"{broken}:1: " in failed.stderr and "NOT loaded" in failed.stderr
    finally:
        app.extensions["relais"].db.dispose()


def test_release_keeps_console_edits_until_the_file_changes(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Every deploy reloaded the unchanged file over the console's edits: a focal
    point switched off there (a lost phone) got referrals again."""
    from gateway.models import FocalPointRecord
    from gateway.referrals import store

    directory_file = tmp_path / "directory.yaml"
    directory_file.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    app = create_app(make_config(database_url, redis_url, DIRECTORY_FILE=str(directory_file)))

    def active(fp_id: str) -> bool:
        with runtime.current().db.session() as session:
            return session.get_one(FocalPointRecord, fp_id).active

    try:
        assert "loaded version 1" in invoke(app, ["release"], group=main).output
        lost_phone = EXAMPLE.read_text(encoding="utf-8").replace(
            '        phone: "+22365000201"\n',
            '        phone: "+22365000201"\n        active: false\n',
        )
        with app.app_context():
            store.load_text(runtime.current().db, lost_phone, "console", loaded_by="ana")
            assert not active("dnds-c1-c3")

        again = invoke(app, ["release"], group=main)
        assert again.exit_code == 0, again.output
        assert "unchanged since version 1 was loaded from it" in again.output
        assert "(version 2)" in again.output
        with app.app_context():
            assert not active("dnds-c1-c3")

        # A changed file is the operator's new directory: it wins, and says so.
        changed = directory_file.read_text(encoding="utf-8").replace("high: 15m", "high: 20m")
        directory_file.write_text(changed, encoding="utf-8")
        replaced = invoke(app, ["release"], group=main)
        assert "loaded version 3" in replaced.output
        assert "it replaces the edits made since version 1" in replaced.output
        with app.app_context():
            assert active("dnds-c1-c3")
        # `relais directory load` is explicit: it always loads.
        with app.app_context():
            store.load_text(runtime.current().db, lost_phone, "console", loaded_by="ana")
            loaded = invoke(app, ["directory", "load", str(directory_file)])
        assert "loaded version 5" in loaded.output, loaded.output
    finally:
        app.extensions["relais"].db.dispose()


def test_route_knows_places_added_in_the_console(app: Flask) -> None:
    from gateway.referrals import store
    from tests.referrals.test_places_store import NEW_CODE, WITH_NEW

    assert invoke(app, ["directory", "load", str(EXAMPLE)]).exit_code == 0
    args = ["route", "--concern", "separated", "--place", NEW_CODE, "--risk", "high"]
    assert invoke(app, args).exit_code != 0  # not a place yet
    store.load_places_text(runtime.current().db, WITH_NEW, "console", loaded_by="admin")
    result = invoke(app, args)
    assert result.exit_code == 0, result.output
    assert NEW_CODE in result.output


def test_a_failed_job_enqueued_again_is_no_longer_listed_or_retried(app: Flask) -> None:
    # The sweeper enqueues a lost send again under the same id; RQ keeps the
    # old entry in its failed registry even once the new job has succeeded.
    redis = runtime.current().redis
    queues.queue("high", redis).enqueue(explode, job_id="send-7")
    work(app)
    assert invoke(app, ["jobs", "failed"]).output.splitlines()[-1] == "1 failed job(s)"
    queues.queue("high", redis).enqueue(calm, job_id="send-7")
    work(app)
    assert invoke(app, ["jobs", "failed"]).output.strip() == "no failed jobs"
    assert queues.queue("high", redis).failed_job_registry.get_job_ids() == []
    assert invoke(app, ["jobs", "retry", "--all"]).output.strip() == "requeued 0 job(s)"
    assert queues.queue("high", redis).job_ids == []  # nothing sent again


def calm() -> str:
    """A job that succeeds."""
    return "ok"
