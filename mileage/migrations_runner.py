"""Run Alembic migrations from code: the CLI, the tests and the benchmarks share this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIRECTORY = Path(__file__).parent / "migrations"


def alembic_config(database_url: str | None = None, connection=None) -> Config:
    """Return an Alembic configuration for this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY))
    config.attributes["configure_logging"] = False
    if database_url:
        # ConfigParser interpolation would choke on a % in a password.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_database(database_url: str | None = None, *, connection=None, revision: str = "head") -> None:
    """Migrate a database up to a revision (the newest by default)."""
    command.upgrade(alembic_config(database_url, connection), revision)


def downgrade_database(database_url: str | None = None, *, connection=None, revision: str = "base") -> None:
    """Migrate a database down to a revision (empty by default)."""
    command.downgrade(alembic_config(database_url, connection), revision)
