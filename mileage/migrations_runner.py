"""Run Alembic migrations from code: the CLI, the tests and the benchmarks share this."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

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


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against the migrations this code ships."""

    revision: str | None
    head: str

    @property
    def state(self) -> str:
        """Return "current", "unmigrated" (no revision), "behind" (an older one) or "unknown" (newer code ran)."""
        if self.revision == self.head:
            return "current"
        if self.revision is None:
            return "unmigrated"
        return "behind" if self.revision in _known_revisions() else "unknown"

    @property
    def current(self) -> bool:
        return self.revision == self.head


@cache
def head_revision() -> str:
    """Return the newest revision of the shipped migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@cache
def _known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def schema_status(connection) -> SchemaStatus:
    """Read the database's recorded revision (None when it was never migrated)."""
    return SchemaStatus(revision=MigrationContext.configure(connection).get_current_revision(), head=head_revision())
