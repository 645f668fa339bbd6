"""``relais users add|list|disable|enable|unlock|passwd``: console accounts.

Passwords are typed twice with hidden input, or read from the first line of
standard input with ``--password-stdin`` (for scripts); they are never
arguments (those end up in shell history and ``ps``). Every change is written
to the audit log with the actor ``cli``. Hashes are never printed.
"""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import accounts, audit, runtime
from gateway.models.user import (
    LANGUAGES,
    ROLES,
    User,
    normalize_username,
    password_problem,
    username_problem,
)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _read_password(username: str, from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt=True, default="", show_default=False
        )
    problem = password_problem(password, username)
    if problem:
        _fail(f"refused: {problem}")
    return password


def _get(session: Session, username: str) -> User:
    user = User.by_username(session, username)
    if user is None:
        _fail(f"no user {normalize_username(username)!r}")
        raise AssertionError  # unreachable: _fail exits
    return user


def _check_agency(session: Session, agency: str) -> None:
    known = accounts.agency_ids(session)
    if known is None:
        click.echo(f"warning: no directory loaded; cannot check that agency {agency!r} exists")
        return
    if agency not in known:
        _fail(f"unknown agency {agency!r}; the directory in force has: {', '.join(known)}")


@click.group("users")
def users_group() -> None:
    """Console accounts (passwords never on the command line)."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--agency", default=None, help="Directory agency id (required for --role agency).")
@click.option("--lang", type=click.Choice(LANGUAGES), default=None, help="Console language.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_add(
    username: str, role: str, agency: str | None, lang: str | None, password_stdin: bool
) -> None:
    """Create the account USERNAME with a role (password prompted twice)."""
    name = normalize_username(username)
    problem = username_problem(name)
    if problem:
        _fail(f"refused: {problem}")
    if role == "agency" and not agency:
        _fail("refused: --agency is required for the agency role")
    if role != "agency" and agency:
        _fail("refused: --agency only applies to the agency role")
    with runtime.current().db.session() as session:
        if User.by_username(session, name) is not None:
            _fail(f"refused: user {name!r} already exists")
        if agency:
            _check_agency(session, agency)
    password = _read_password(name, password_stdin)
    try:
        with runtime.current().db.session() as session:
            accounts.add(
                session,
                audit.CLI,
                username=name,
                role=role,
                agency=agency,
                language=lang,
                password=password,
            )
    except IntegrityError:
        _fail(f"refused: user {name!r} already exists")
    click.echo(f"user {name} added ({role}{', ' + agency if agency else ''})")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List every account (never a password hash)."""
    with runtime.current().db.session() as session:
        users = list(session.scalars(select(User).order_by(User.username)))
    if not users:
        click.echo("no users")
        return
    click.echo("username  role  agency  status  language  last login  created")
    for user in users:
        status = "active" if user.active else "disabled"
        if user.is_locked():
            status += f", locked until {_when(user.locked_until)}"
        elif user.failed_logins:
            status += f", {user.failed_logins} failed login(s)"
        click.echo(
            f"{user.username}  {user.role}  {user.agency_id or '-'}  {status}  "
            f"{user.language or 'auto'}  {_when(user.last_login_at)}  {_when(user.created_at)}"
        )


def _change(username: str, action: str) -> None:
    """Apply ``action`` to USERNAME, audit it and report."""
    with runtime.current().db.session() as session:
        user = _get(session, username)
        accounts.apply(session, audit.CLI, user, action)
        name = user.username
    click.echo(f"{action.split('.')[1]}: {name}")


@users_group.command("disable")
@click.argument("username")
@with_appcontext
def users_disable(username: str) -> None:
    """Disable USERNAME (cannot sign in; open sessions end)."""
    _change(username, "user.disable")


@users_group.command("enable")
@click.argument("username")
@with_appcontext
def users_enable(username: str) -> None:
    """Enable USERNAME again."""
    _change(username, "user.enable")


@users_group.command("unlock")
@click.argument("username")
@with_appcontext
def users_unlock(username: str) -> None:
    """End USERNAME's lock-out after too many failed logins."""
    _change(username, "user.unlock")


@users_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_passwd(username: str, password_stdin: bool) -> None:
    """Set USERNAME's password (open sessions end; a lock-out is lifted)."""
    with runtime.current().db.session() as session:
        name = _get(session, username).username
    password = _read_password(name, password_stdin)
    with runtime.current().db.session() as session:
        accounts.set_password(session, audit.CLI, _get(session, name), password)
    click.echo(f"password changed: {name}")
