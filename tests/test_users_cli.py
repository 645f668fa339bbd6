"""``relais users add|list|disable|enable|unlock|passwd``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select

from gateway import runtime
from gateway.cli import main
from gateway.commands.users import users_group
from gateway.db import utcnow
from gateway.models import AuditEvent, User

PASSWORD = "correct horse battery staple"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bamako-directory.yaml"


def users(app: Flask, *args: str, input: str | None = None) -> Result:
    """Run ``relais users ARGS`` against ``app``."""
    return CliRunner().invoke(
        users_group, list(args), input=input, obj=ScriptInfo(create_app=lambda: app)
    )


def stored(username: str) -> User | None:
    """The account as stored now."""
    with runtime.current().db.session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is not None:
            session.expunge(user)
        return user


def audited() -> list[tuple[str, str, str, str]]:
    """(actor, action, target_id, detail) of every audit event."""
    with runtime.current().db.session() as session:
        return [
            (e.actor, e.action, e.target_id, e.detail)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_registered_on_the_relais_command() -> None:
    assert isinstance(main, click.Group)
    assert {"users", "audit"} <= set(main.commands)


def test_add_with_password_stdin(app: Flask) -> None:
    result = users(app, "add", "Awa.Traore", "--role", "coordinator", "--password-stdin",
                   input=PASSWORD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    user = stored("awa.traore")
    assert user is not None and user.role == "coordinator" and user.active
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)
    assert audited() == [("cli", "user.add", "awa.traore", "role=coordinator")]


def test_add_prompts_twice_with_hidden_input(app: Flask) -> None:
    result = users(app, "add", "awa", "--role", "trainer", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    mismatch = users(app, "add", "bob", "--role", "trainer", input=f"{PASSWORD}\nother one!!!!\n")
    assert stored("bob") is None and mismatch.exit_code != 0


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("", "too short"),
        ("short pass", "too short"),
        ("            ", "blank"),
        ("aaaaaaaaaaaaaaaa", "5 different"),
        ("password1234", "too common"),
        ("my-awa-password-2026", "username"),
    ],
)
def test_add_refuses_weak_passwords(app: Flask, password: str, why: str) -> None:
    result = users(app, "add", "awa", "--role", "admin", "--password-stdin", input=password + "\n")
    assert result.exit_code == 1
    assert why in result.output
    assert stored("awa") is None
    assert audited() == []


def test_add_checks_role_agency_and_duplicates(app: Flask) -> None:
    stdin = PASSWORD + "\n"
    no_agency = users(app, "add", "ana", "--role", "agency", "--password-stdin", input=stdin)
    assert no_agency.exit_code == 1 and "--agency is required" in no_agency.output
    stray = users(app, "add", "ana", "--role", "admin", "--agency", "iom", "--password-stdin",
                  input=stdin)  # fmt: skip
    assert stray.exit_code == 1
    bad_role = users(app, "add", "ana", "--role", "root", "--password-stdin", input=stdin)
    assert bad_role.exit_code == 2
    reserved = users(app, "add", "system", "--role", "admin", "--password-stdin", input=stdin)
    assert reserved.exit_code == 1 and "reserved" in reserved.output
    ok = users(app, "add", "ana", "--role", "agency", "--agency", "iom", "--password-stdin",
               input=stdin)  # fmt: skip
    assert ok.exit_code == 0 and "no directory loaded" in ok.output
    again = users(app, "add", "ANA", "--role", "admin", "--password-stdin", input=stdin)
    assert again.exit_code == 1 and "already exists" in again.output
    assert stored("ana").agency_id == "iom"  # type: ignore[union-attr]


def test_agency_must_exist_when_a_directory_is_loaded(app: Flask) -> None:
    from gateway.directory_hook import load

    load(str(EXAMPLE))
    stdin = PASSWORD + "\n"
    unknown = users(app, "add", "ana", "--role", "agency", "--agency", "nope",
                    "--password-stdin", input=stdin)  # fmt: skip
    assert unknown.exit_code == 1 and "unknown agency" in unknown.output
    known = users(app, "add", "ana", "--role", "agency", "--agency", "iom",
                  "--password-stdin", input=stdin)  # fmt: skip
    assert known.exit_code == 0, known.output


def test_list_shows_accounts_without_hashes(app: Flask) -> None:
    users(app, "add", "awa", "--role", "coordinator", "--password-stdin", input=PASSWORD + "\n")
    users(app, "add", "ana", "--role", "agency", "--agency", "iom", "--password-stdin",
          input=PASSWORD + "\n")  # fmt: skip
    result = users(app, "list")
    assert result.exit_code == 0
    assert "awa  coordinator  -  active" in result.output
    assert "ana  agency  iom  active" in result.output
    hashes = [stored(name).password_hash for name in ("awa", "ana")]  # type: ignore[union-attr]
    assert all(h not in result.output for h in hashes)
    assert "scrypt" not in result.output


def test_disable_enable_unlock_and_passwd(app: Flask) -> None:
    users(app, "add", "awa", "--role", "coordinator", "--password-stdin", input=PASSWORD + "\n")
    epoch = stored("awa").session_epoch  # type: ignore[union-attr]

    assert users(app, "disable", "awa").exit_code == 0
    disabled = stored("awa")
    assert disabled is not None and not disabled.active and disabled.session_epoch == epoch + 1
    assert "disabled" in users(app, "list").output
    assert users(app, "enable", "awa").exit_code == 0
    assert stored("awa").active  # type: ignore[union-attr]

    with runtime.current().db.session() as session:
        user = session.scalars(select(User).where(User.username == "awa")).one()
        user.failed_logins, user.locked_until = 5, utcnow() + dt.timedelta(minutes=15)
    assert "locked until" in users(app, "list").output
    assert users(app, "unlock", "awa").exit_code == 0
    unlocked = stored("awa")
    assert unlocked is not None and unlocked.failed_logins == 0 and unlocked.locked_until is None

    new = "another long passphrase"
    assert users(app, "passwd", "awa", "--password-stdin", input="tooshort\n").exit_code == 1
    assert users(app, "passwd", "awa", "--password-stdin", input=new + "\n").exit_code == 0
    changed = stored("awa")
    assert (
        changed is not None and changed.check_password(new) and not changed.check_password(PASSWORD)
    )
    assert [e[1] for e in audited()] == [
        "user.add", "user.disable", "user.enable", "user.unlock", "user.passwd",
    ]  # fmt: skip
    assert all(new not in " ".join(e) and PASSWORD not in " ".join(e) for e in audited())


def test_unknown_user(app: Flask) -> None:
    for command in ("disable", "enable", "unlock"):
        result = users(app, command, "ghost")
        assert result.exit_code == 1 and "no user 'ghost'" in result.output
    assert users(app, "passwd", "ghost", "--password-stdin", input=PASSWORD).exit_code == 1
    assert audited() == []
