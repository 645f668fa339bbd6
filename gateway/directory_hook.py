"""Loading a directory file and saying what happened (release step and CLI).

``relais release`` calls :func:`load` with ``DIRECTORY_FILE`` inside an app
context; ``relais directory load`` shares :func:`load_and_report`. The release
loads the file only when it changed since its last load, so the edits made
in the console in between stand; ``relais directory load`` always loads it. A broken
file prints every ``file:line: message`` on stderr and exits 1, so a release
with a broken directory fails loudly instead of running on the old one.
"""

from __future__ import annotations

import sys

import click

from gateway import runtime
from gateway.referrals import store
from gateway.referrals.directory import DirectoryError


def load_and_report(
    path: str, *, loaded_by: str, keep_later_edits: bool = False
) -> store.LoadResult:
    """Load the directory file at ``path``, print the outcome; exit 1 when it is invalid."""
    try:
        rt = runtime.current()
        refuse = rt.settings.refuses_demo_directory
        result = store.load_file(
            rt.db, path, loaded_by=loaded_by, refuse_demo=refuse, keep_later_edits=keep_later_edits
        )
    except DirectoryError as exc:
        click.echo(str(exc), err=True)
        click.echo(f"directory {path} NOT loaded: {len(exc.problems)} problem(s)", err=True)
        sys.exit(1)
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"{path}:0: cannot read the file ({type(exc).__name__})", err=True)
        sys.exit(1)
    if not result.changed and result.edited_since is not None:
        click.echo(
            f"unchanged since version {result.edited_since} was loaded from it: the edits "
            f"made since in the console stand (version {result.version_id})"
        )
    elif not result.changed:
        click.echo(f"unchanged (version {result.version_id})")
    else:
        click.echo(f"loaded version {result.version_id}")
        if result.edited_since is not None:
            click.echo(
                f"  it replaces the edits made since version {result.edited_since}"
                " (in the console or from another file):"
            )
        for line in result.changes:
            click.echo(f"  {line}")
    return result


def load(path: str) -> None:
    """Load ``DIRECTORY_FILE`` during the release step (exits 1 on a broken file)."""
    click.echo(f"directory file {path}:")
    load_and_report(path, loaded_by="release", keep_later_edits=True)
