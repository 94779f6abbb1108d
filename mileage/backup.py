"""A consistent copy of the embedded SQLite database while the app keeps running (SQLite's online backup).

PostgreSQL has its own tools (`pg_dump -Fc`, `pg_restore`); docs/operations.md says how.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupRefused(RuntimeError):
    """The backup cannot be made; the message says why and what to do instead."""


@dataclass(frozen=True)
class BackupResult:
    """Where the copy went, how big it is, and the schema revision it holds."""

    path: Path
    size_bytes: int
    revision: str | None


def sqlite_path(database_url: str) -> Path:
    """Return the file of a SQLite database URL.

    :raises BackupRefused: not a SQLite file database.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupRefused(
            f"mileage backup copies the SQLite database; for {url.get_backend_name()} use "
            "pg_dump -Fc (see docs/operations.md)"
        )
    if not url.database or url.database == ":memory:":
        raise BackupRefused("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def backup_sqlite(database_url: str, destination: str | os.PathLike, *, overwrite: bool = False) -> BackupResult:
    """Copy a live SQLite database page by page into a new file, check the copy, and return it.

    Writers may keep working: SQLite's backup API restarts the copy of pages they changed, so the
    result is one consistent moment. The copy is written beside the destination and renamed into
    place only once it passed `PRAGMA integrity_check`.

    :raises BackupRefused:
    """
    source_path = sqlite_path(database_url)
    if not source_path.is_file():
        raise BackupRefused(f"there is no database file at {source_path}")
    target = Path(destination)
    if target.is_dir():
        raise BackupRefused(f"{target} is a folder; name the backup file, e.g. {target / 'mileage-backup.sqlite3'}")
    if target.exists() and not overwrite:
        raise BackupRefused(f"{target} exists; choose a new name or pass --overwrite")
    if target.resolve() == source_path.resolve():
        raise BackupRefused("the backup must not be the database file itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        # 1024 pages a step: other connections get the lock between steps.
        source.backup(copy, pages=1024)
    except sqlite3.Error as error:
        copy.close()
        source.close()
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"the database could not be read: {error}") from None
    try:
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupRefused(f"the copy failed SQLite's integrity check: {verdict}")
        revision = None
        if copy.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    except BackupRefused:
        partial.unlink(missing_ok=True)
        raise
    finally:
        copy.close()
        source.close()
    partial.chmod(0o600)
    partial.replace(target)
    return BackupResult(path=target, size_bytes=target.stat().st_size, revision=revision)
