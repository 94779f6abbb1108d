"""Concurrency fixtures: a scratch database of their own, where threads commit for real.

The shared `session` fixture rolls everything back inside one connection, which cannot show what
two transactions do to each other; these tests need separate connections and real commits.
"""

from __future__ import annotations

import pytest

from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from tests.support.databases import configured_server_url, scratch_database

# The largest race in this folder, plus the connection the fixtures use to set up and inspect.
MAX_RACERS = 50


@pytest.fixture(autouse=True)
def _skip_postgres_only_tests_on_sqlite(request):
    """Skip tests marked postgres_only when the suite runs on SQLite."""
    if request.node.get_closest_marker("postgres_only") and configured_server_url() is None:
        pytest.skip(
            "SQLite takes its write lock at BEGIN IMMEDIATE, so two transactions can never both "
            "read before either writes; set MILEAGE_TEST_DATABASE_URL to run this on PostgreSQL"
        )


@pytest.fixture(scope="module")
def concurrent_engine():
    """An engine on a freshly migrated scratch database, with a connection for every racer."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url, pool_size=MAX_RACERS + 2, max_overflow=0)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def commit(concurrent_engine):
    """Run one unit of work on the scratch database and commit it: `commit(lambda session: ...)`."""
    factory = make_session_factory(concurrent_engine)
    return lambda work: run_in_transaction(factory, work)
