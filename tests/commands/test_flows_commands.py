"""``relais flows check|graph`` and ``relais simulate``."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo

from gateway.cli import main
from gateway.flows.loader import FLOWS_DIR


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
