"""The ``relais`` command line (a Flask CLI group; later issues add commands).

relais db upgrade        bring the database schema up to date
relais release           what the Procfile's release step runs
relais worker [--burst]  run an RQ worker with the scheduler and sweeper
relais sweep             re-enqueue work whose jobs Redis lost, once
relais keys generate     print a new data key for DATA_KEYS
"""

from __future__ import annotations

import os
import sys

import click
from dotenv import load_dotenv
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError

from gateway import runtime
from gateway.commands.audit import audit_group
from gateway.commands.data import purge_command, rotate_command
from gateway.commands.flows import flows_group, simulate
from gateway.commands.messages import messages_group
from gateway.commands.numbers import numbers_group
from gateway.commands.referrals import directory_group, jobs_group, route_command
from gateway.commands.status import status_command
from gateway.commands.users import users_group
from gateway.config import PROJECT_ROOT

DOTENV = PROJECT_ROOT / ".env"


class ConfigProblem(NoAppException):
    """A setting is missing or wrong: its message, no traceback, exit code 2
    (Flask prints a NoAppException's message even while listing commands)."""


def _load_dotenv() -> None:
    """The project's ``.env``, whatever the current directory (Flask's own
    search starts from it: run from ``/`` or by cron, ``relais`` silently fell
    back to a development SQLite file). Variables already set win."""
    load_dotenv(DOTENV, override=False)


def _create_app() -> Flask:
    from gateway import create_app
    from gateway.config import ConfigError

    _load_dotenv()
    try:
        app = create_app()
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    if not os.environ.get("RELAIS_ENV") and sys.stderr.isatty():
        # An operator whose production variables are not in this shell would
        # otherwise add users to, or migrate, a database nobody uses.
        url = make_url(app.extensions["relais"].settings.DATABASE_URL)
        click.echo(
            f"relais: development settings (RELAIS_ENV unset), database "
            f"{url.render_as_string(hide_password=True)}",
            err=True,
        )
    return app


class RelaisGroup(FlaskGroup):
    """Flask's command group, saying in one line what a database error means
    (an unreachable server, a database without its tables) instead of a
    150-line traceback at 2 a.m."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; turn database errors into a one-line message (exit 1)."""
        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError, ArgumentError, NoSuchModuleError) as exc:
            raise click.ClickException(database_problem(exc)) from None


def database_problem(exc: Exception) -> str:
    """What an operator should read for a database error (no values, no password)."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0][:200] if detail else type(exc).__name__
    if "no such table" in first or ("relation" in first and "does not exist" in first):
        return f"the database has no Relais tables ({first}): run `relais db upgrade`"
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return f"DATABASE_URL cannot be used: {first}"
    return f"database error: {type(exc).__name__}: {first}"


@click.group(cls=RelaisGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """Relais: SMS/USSD referral gateway for child protection."""
    _load_dotenv()


main.add_command(flows_group)
main.add_command(simulate)
main.add_command(purge_command)
main.add_command(directory_group)
main.add_command(route_command)
main.add_command(jobs_group)
main.add_command(users_group)
main.add_command(audit_group)
main.add_command(numbers_group)
main.add_command(messages_group)
main.add_command(status_command)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every pending migration."""
    from gateway import migrate

    migrate.upgrade(runtime.current().settings.DATABASE_URL)
    click.echo("database is up to date")


@main.command()
@with_appcontext
def release() -> None:
    """Prepare a release: migrate, then load DIRECTORY_FILE when it is set."""
    from gateway import migrate

    settings = runtime.current().settings
    migrate.upgrade(settings.DATABASE_URL)
    click.echo("database is up to date")
    if settings.DIRECTORY_FILE:
        from gateway import directory_hook

        directory_hook.load(settings.DIRECTORY_FILE)


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (one process).")
@click.option("--no-scheduler", is_flag=True, help="Do not run RQ's scheduler here.")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes to run and supervise (default: WORKER_PROCESSES).",
)
@with_appcontext
def worker(burst: bool, no_scheduler: bool, processes: int | None) -> None:
    """Run workers on every queue, highest priority first."""
    size = processes or runtime.current().settings.WORKER_PROCESSES
    if size > 1 and not burst:
        from gateway.worker_pool import WorkerPool, child_command

        pool = WorkerPool(size, child_command(["--no-scheduler"] if no_scheduler else []))
        raise SystemExit(pool.run())
    from gateway.worker import run_worker

    run_worker(current_app._get_current_object(), burst=burst, with_scheduler=not no_scheduler)  # type: ignore[attr-defined]


@main.command()
@with_appcontext
@click.option(
    "--wait",
    type=click.FloatRange(0, 600),
    default=30,
    show_default=True,
    help="Seconds to wait for a worker's sweep to finish.",
)
def sweep(wait: float) -> None:
    """Re-enqueue every message whose job Redis lost (once).

    Uses SEND_STUCK_AFTER and SWEEP_GRACE, and the workers' sweep lock, as
    the workers' own sweep does: a shorter delay would resend an SMS whose
    provider is still answering.
    """
    from gateway.worker import sweep_now

    report = sweep_now(runtime.current().redis, wait=wait)
    if report is None:
        raise click.ClickException("a worker is sweeping right now; run this again in a minute")
    click.echo(
        f"requeued {len(report.requeued)}, recovered from crashed sends "
        f"{len(report.recovered_stuck)}, still queued in Redis {report.skipped_live}"
    )


@main.group()
def keys() -> None:
    """Data encryption keys."""


@keys.command("generate", with_appcontext=False)  # makes the DATA_KEYS production needs
def keys_generate() -> None:
    """Print a new Fernet key (put it first in DATA_KEYS to rotate)."""
    from gateway.crypto import generate_key

    click.echo(generate_key())


keys.add_command(rotate_command)
