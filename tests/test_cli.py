"""The ``relais`` group itself: where it reads ``.env``, how it reports a database it cannot use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway import cli


def test_the_project_env_file_is_read_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from / or by cron, `relais` used to miss it and fall back to a
    development SQLite file, silently adding users to a database nobody uses."""
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text("RELAIS_CLI_PROBE=from-the-project\n")
    monkeypatch.setattr(cli, "DOTENV", project / ".env")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".env").write_text("RELAIS_CLI_PROBE=from-the-current-directory\n")
    monkeypatch.chdir(elsewhere)
    try:
        result = CliRunner().invoke(cli.main, ["keys", "generate"])
        assert result.exit_code == 0, result.output
        assert os.environ.get("RELAIS_CLI_PROBE") == "from-the-project"
    finally:
        os.environ.pop("RELAIS_CLI_PROBE", None)


def test_a_database_without_tables_is_named_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(cli.main, ["users", "list"], env={"DATABASE_URL": url})
    assert result.exit_code == 1
    assert "the database has no Relais tables" in result.output
    assert "run `relais db upgrade`" in result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1


def test_an_unreachable_database_is_named_in_one_line() -> None:
    url = "postgresql://relais@127.0.0.1:1/relais"  # nothing listens on port 1
    result = CliRunner().invoke(cli.main, ["release"], env={"DATABASE_URL": url})
    assert result.exit_code == 1
    assert result.output.startswith("Error: database error: OperationalError: connection")
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1
