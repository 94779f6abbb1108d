"""Reliability fixtures: how long the load runs, PostgreSQL-only skips, a fingerprint of all stored state.

The HTTP load and fault tests run gunicorn against a scratch PostgreSQL database; the fuzz,
hostile-input and token tests drive the WSGI app through Flask's test client on either database.

CI runs a short bounded form. For the long form, set for example
    MILEAGE_RELIABILITY_SECONDS=300 MILEAGE_FUZZ_EXAMPLES=200
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from mileage.db import Base, make_engine
from mileage.migrations_runner import upgrade_database
from tests.reliability.bank import SERVER_ENVIRONMENT, Workload, World, seed_world
from tests.support.databases import configured_server_url, scratch_database
from tests.support.gunicorn import GunicornServer
from tests.support.postgres import PrivateCluster, postgres_binaries

# Seconds of load in each HTTP test (bank, crash, database restart).
LOAD_SECONDS = float(os.environ.get("MILEAGE_RELIABILITY_SECONDS", "12"))
# Examples schemathesis generates per operation and role.
FUZZ_EXAMPLES = int(os.environ.get("MILEAGE_FUZZ_EXAMPLES", "5"))

POSTGRES_ONLY_REASON = (
    "needs PostgreSQL behind gunicorn (real connections, a server to kill and restart); "
    "set MILEAGE_TEST_DATABASE_URL to run it"
)


def pytest_collection_modifyitems(items):
    """Mark every test in this folder `reliability`, so that the quick subset can leave them all out."""
    folder = Path(__file__).parent
    for item in items:
        if folder in item.path.parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def postgres_server_url() -> str:
    """The PostgreSQL server the suite was given; the test is skipped on SQLite."""
    url = configured_server_url()
    if url is None:
        pytest.skip(POSTGRES_ONLY_REASON)
    return url


# What records a refused request's answer, not the programme's state: an idempotency key's stored
# refusal (replayed to its retries) and the ledger's refusal rows (which move nothing).
ANSWER_RECORDS = {"idempotent_requests": None, "journal_entries": "refusal"}


def state_fingerprint(session) -> str:
    """Hash every row of every table and every account balance: any change of stored state shows.

    Stored refusals are left out (`ANSWER_RECORDS`): a refused request records its answer by design.
    """
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        if table.name in ANSWER_RECORDS and ANSWER_RECORDS[table.name] is None:
            continue
        query = select(table).order_by(*table.primary_key.columns)
        if ANSWER_RECORDS.get(table.name):
            query = query.where(table.c.kind != ANSWER_RECORDS[table.name])
        rows = session.execute(query).all()
        digest.update(f"{table.name}:{len(rows)}:".encode())
        for row in rows:
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@dataclass
class BankFixture:
    """A seeded scratch database, a gunicorn serving it, and the engine the checker reads with."""

    engine: Engine
    world: World
    server: GunicornServer
    # Set when the database is on a cluster of the test's own, which it may stop and start.
    cluster: PrivateCluster | None = None

    def workload(self, seed: int = 0) -> Workload:
        """Return a fresh client workload against this server."""
        return Workload(self.world, lambda: self.server.base_url, seed=seed)


@contextmanager
def _serving_a_bank(server_url: str, cluster: PrivateCluster | None = None) -> Iterator[BankFixture]:
    with scratch_database(server_url) as url:
        upgrade_database(url)
        # The checker reads after the test may have restarted the server: ping stale connections.
        engine = make_engine(url, pool_size=2, pool_pre_ping=True)
        server = GunicornServer(url, workers=4, extra_environment=SERVER_ENVIRONMENT)
        try:
            world = seed_world(engine)
            server.start()
            yield BankFixture(engine, world, server, cluster)
        finally:
            server.stop()
            engine.dispose()


@pytest.fixture
def bank(postgres_server_url) -> Iterator[BankFixture]:
    """Seed a fresh scratch database and serve it with gunicorn (4 workers); stop and drop afterwards."""
    with _serving_a_bank(postgres_server_url) as fixture:
        yield fixture


@pytest.fixture
def bank_on_own_cluster(postgres_server_url) -> Iterator[BankFixture]:
    """The same, on a PostgreSQL cluster of the test's own, which the test may stop and start."""
    if postgres_binaries() is None:
        pytest.fail("the PostgreSQL server binaries are needed (Debian's postgresql package)")
    cluster = PrivateCluster().create().start()
    try:
        with _serving_a_bank(cluster.server_url, cluster) as fixture:
            yield fixture
    finally:
        cluster.destroy()
