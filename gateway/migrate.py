"""Database migrations with Alembic, callable from code and the CLI."""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gateway.config import PROJECT_ROOT
from gateway.db import Database, normalize_url


def alembic_config(database_url: str) -> Config:
    """An Alembic config for ``database_url`` using the project's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


@functools.cache
def _revisions() -> tuple[str, frozenset[str]]:
    """This code's head revision and every revision it knows (read once)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head() or ""
    return head, frozenset(r.revision for r in script.walk_revisions())


def schema_behind(db: Database) -> bool:
    """True when the database's schema is older than this code needs (or has
    no Relais tables): the release step has not run. A schema *newer* than
    the code (a release that migrated before this process was replaced) is
    not behind: old processes keep serving during a rolling deploy.

    Raises ``SQLAlchemyError`` only when the database cannot be reached.
    """
    head, known = _revisions()
    with db.engine.connect() as conn:
        try:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            conn.rollback()
            conn.execute(text("SELECT 1"))  # still answering: the table is missing
            return True
    return version is None or (version != head and version in known)
