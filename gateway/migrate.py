"""Database migrations with Alembic, callable from code and the CLI."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from gateway.config import PROJECT_ROOT
from gateway.db import normalize_url


def alembic_config(database_url: str) -> Config:
    """An Alembic config for ``database_url`` using the project's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)
