"""Where the release step loads ``DIRECTORY_FILE``.

The directory format (agencies, focal points, routing rules) arrives with
the referrals work; until then the release step says so instead of
pretending to load anything.
"""

from __future__ import annotations

import click


def load(path: str) -> None:
    """Load the directory file at ``path`` (not available yet: says so)."""
    click.echo(f"DIRECTORY_FILE={path} is set, but directory loading is not available yet")
