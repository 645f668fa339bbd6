"""``relais flows check|graph`` and ``relais simulate``."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from gateway import runtime
from gateway.cli import main
from gateway.flows.loader import FLOWS_DIR
from gateway.models import Contact, Message
from gateway.referrals.lookups import is_simulated_phone


def invoke(app: Flask, args: list[str], stdin: str = "") -> Result:
    """Run a ``relais`` command against ``app``."""
    return CliRunner().invoke(main, args, input=stdin, obj=ScriptInfo(create_app=lambda: app))


def test_flows_check_passes_on_the_shipped_flows() -> None:
    result = CliRunner().invoke(main, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert "1 flow file(s) OK" in result.output


def test_flows_check_reports_file_and_line_and_fails(tmp_path: Path) -> None:
    for name in ("lexicon.yaml", "places.yaml", "oneshot.yaml", "alert.yaml"):
        shutil.copy(FLOWS_DIR / name, tmp_path / name)
    alert = tmp_path / "alert.yaml"
    text = alert.read_text(encoding="utf-8")
    long_prompt = "Où est l'enfant ? " + "très loin " * 30
    alert.write_text(text.replace("Où est l'enfant ? Bamako :", long_prompt, 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["flows", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{alert}:" in result.output and "segments" in result.output


def test_flows_graph_prints_mermaid() -> None:
    result = CliRunner().invoke(main, ["flows", "graph", "alert"])
    assert result.exit_code == 0 and result.output.startswith("flowchart TD")
    assert "consent --> updates" in result.output
    assert CliRunner().invoke(main, ["flows", "graph", "nope"]).exit_code != 0


def test_simulate_runs_a_whole_sms_conversation(app: Flask) -> None:
    answers = "\n".join(["Bonjour", "1", "5", "Marche", "2", "1", "2", "1", "0", "1", "1", ""])
    result = invoke(app, ["simulate", "--lang", "fr"], answers + "\n")
    assert result.exit_code == 0, result.output
    assert "Merci. Alerte recue" in result.output and "Langue" not in result.output


def test_simulate_ussd_ends_with_a_reference(app: Flask) -> None:
    answers = "\n".join(["1", "1", "5", "Marche", "2", "1", "2", "1", "0", "1", "1"])
    result = invoke(app, ["simulate", "--channel", "ussd"], answers + "\n")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("> END Merci")


def test_simulate_refuses_a_real_persons_number(app: Flask) -> None:
    # Their contact would become a training case's reporter, shown to trainers.
    with runtime.current().db.session() as session:
        Contact.get_or_create(session, "+22376123445")  # wrote to Relais for real
    result = invoke(app, ["simulate", "--number", "76 12 34 45"], "Bonjour\n\n")
    assert result.exit_code != 0 and "real person's" in result.output
    with runtime.current().db.session() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert invoke(app, ["simulate", "--number", "not a number"], "\n").exit_code != 0


def test_simulate_uses_the_simulators_own_numbers_by_default(app: Flask) -> None:
    result = invoke(app, ["simulate"], "Bonjour\n\n")
    assert result.exit_code == 0, result.output
    assert "from +22370000600" in result.output  # the range the console simulator uses
    with runtime.current().db.session() as session:
        (contact,) = session.scalars(select(Contact)).all()
        assert contact.is_training and is_simulated_phone(session, contact)
