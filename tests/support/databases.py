"""Scratch databases: a fresh, migrated database per test run (or per concurrency test), then dropped."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_DATABASE_URL_VARIABLE = "MILEAGE_TEST_DATABASE_URL"


def configured_server_url() -> str | None:
    """Return the PostgreSQL URL the tests were given, or None to use SQLite."""
    return os.environ.get(TEST_DATABASE_URL_VARIABLE) or None


@contextmanager
def scratch_database(server_url: str | None = None) -> Iterator[str]:
    """Create an empty database, yield its URL, and drop it afterwards.

    On PostgreSQL it is a new database on the given server, so tests never touch the data of the
    database named in the URL; on SQLite it is a file in a temporary folder.
    """
    if server_url is None:
        with tempfile.TemporaryDirectory(prefix="mileage-test-") as folder:
            yield f"sqlite:///{Path(folder) / 'test.sqlite3'}"
        return
    url = make_url(server_url)
    name = f"{url.database or 'mileage'}_scratch_{secrets.token_hex(4)}"
    # Pre-ping: a test may restart the server between CREATE and DROP.
    admin = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
