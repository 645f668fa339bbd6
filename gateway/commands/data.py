"""Data protection commands: ``relais keys rotate`` and ``relais purge``.

``rotate_command`` is registered under the ``relais keys`` group and
``purge_command`` at the top level (see :mod:`gateway.cli`). Both print a human-readable
report and exit 1 when something needs an operator's attention.
"""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask.cli import with_appcontext

from gateway import audit, runtime


@click.command("rotate")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Rows per transaction.",
)
@with_appcontext
def rotate_command(batch_size: int) -> None:
    """Re-encrypt all personal data under the first key of DATA_KEYS.

    Put the new key first in DATA_KEYS and restart every process before
    running this; remove the old key only after a run reports nothing
    unreadable. Safe to run again (e.g. after an interruption).
    """
    from gateway.keys import rotate_all

    rt = runtime.current()
    keys = [k for k in rt.settings.DATA_KEYS.split(",") if k.strip()]
    if len(keys) < 2:
        click.echo("note: DATA_KEYS holds one key; values are re-encrypted under it anyway")
    report = rotate_all(rt.db, rt.keyring, redis=rt.redis, batch_size=batch_size)
    done = sum(counts.reencrypted for counts in report.tables.values())
    audit.record_cli(
        "keys.rotate", detail=f"{done} values re-encrypted; complete: {report.complete}"
    )
    for name, counts in report.tables.items():
        line = (
            f"{name}: {counts.rows} rows, {counts.reencrypted} values re-encrypted, "
            f"{counts.unreadable} unreadable"
        )
        if counts.changed_meanwhile:
            line += f", {counts.changed_meanwhile} rewritten by Relais meanwhile"
        if counts.hashes_updated or counts.hash_conflicts:
            line += f", {counts.hashes_updated} look-up hashes updated"
            line += f", {counts.hash_conflicts} hash conflicts" if counts.hash_conflicts else ""
        click.echo(line)
    if report.cache_error:
        click.echo(
            f"Redis cache: stopped ({report.cache_error}) after "
            f"{report.cache_reencrypted} re-encrypted: run the command again once Redis answers"
        )
    else:
        click.echo(
            f"Redis cache (conversations, simulator): {report.cache_reencrypted} re-encrypted, "
            f"{report.cache_unreadable} unreadable"
        )
    for table, column, row_id in report.unreadable:
        click.echo(f"unreadable: {table}.{column} id={row_id}")
    if not report.complete:
        click.echo(
            "NOT complete: keep every old key in DATA_KEYS until the values above are "
            "fixed or erased",
            err=True,
        )
        sys.exit(1)
    click.echo("done: every value is under the first key; older keys may now be removed")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Retention period in days (default: RETENTION_DAYS, 90 when unset).",
)
@with_appcontext
def purge_command(dry_run: bool, days: int | None) -> None:
    """Erase personal data older than the retention period (keeps anonymous counts)."""
    from gateway.db import utcnow
    from gateway.retention import purge, retention_days

    rt = runtime.current()
    period = days if days is not None else retention_days(rt.settings)
    report = purge(rt.db, now=utcnow(), older_than=dt.timedelta(days=period), dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    click.echo(f"retention {period} days (training data: 1 day); {verb}:")
    click.echo(f"  alerts (landmark, details)   {report.alerts_erased}")
    click.echo(f"  message bodies               {report.messages_erased}")
    click.echo(f"  contacts (phone numbers)     {report.contacts_erased}")
    click.echo(f"  conversations (deleted)      {report.conversations_deleted}")
    for name, count in report.linked_erased.items():
        click.echo(f"  {name + ' (free text)':<28} {count}")
    if dry_run:
        click.echo("dry run: nothing was changed")
