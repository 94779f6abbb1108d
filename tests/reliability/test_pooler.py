"""Behind pgbouncer in transaction mode: two app servers share one pooler and one Redis, nothing is lost.

The PostgreSQL cluster, the pgbouncer in front of it and the two gunicorns are the test's own
(own ports and folders). The cluster allows fewer connections than the two servers' pools could
open together, as in production, where the pooler is what keeps `max_connections` enough.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading

import pytest
import redis
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mileage.db import make_engine
from mileage.migrations_runner import upgrade_database
from tests.reliability.bank import SERVER_ENVIRONMENT, HttpClient, Workload, check_history, seed_world
from tests.reliability.conftest import LOAD_SECONDS
from tests.support.databases import scratch_database
from tests.support.gunicorn import GunicornServer
from tests.support.pgbouncer import PgBouncer, pgbouncer_installed
from tests.support.postgres import PrivateCluster, postgres_binaries

REDIS_URL = "redis://127.0.0.1:6379/5"
# Fewer than 2 servers x 2 workers x (10 + 10) pooled connections: only the pooler makes this enough.
MAX_SERVER_CONNECTIONS = 40
POOLER_SERVER_CONNECTIONS = 8


def _redis_or_fail() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed on 127.0.0.1:6379 for limits shared between app servers: {exc}")
    return client


@pytest.fixture
def pooled_cluster(postgres_server_url):
    """A cluster of the test's own with a transaction-mode pgbouncer in front; yields both."""
    if postgres_binaries() is None or not pgbouncer_installed():
        pytest.fail("needs Debian's postgresql and pgbouncer packages (see .ci/run)")
    cluster = PrivateCluster(settings={"max_connections": MAX_SERVER_CONNECTIONS}).create().start()
    bouncer = PgBouncer("127.0.0.1", cluster.port, pool_size=POOLER_SERVER_CONNECTIONS)
    try:
        bouncer.start()
        yield cluster, bouncer
    finally:
        bouncer.stop()
        cluster.destroy()


def _prepared_statement_failures(url: str, *, threads: int = 12, transactions: int = 40) -> list[str]:
    """Run short transactions from many threads through the pooler; return the errors they met."""
    engine = make_engine(url, pool_size=threads)
    failures: list[str] = []

    def client(index: int) -> None:
        for n in range(transactions):
            try:
                with engine.begin() as connection:
                    connection.execute(text("SELECT :a + :b"), {"a": index, "b": n}).scalar_one()
            except DBAPIError as exc:
                failures.append(str(exc.orig).splitlines()[0])

    workers = [threading.Thread(target=client, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    return failures


def test_without_the_pooler_setting_prepared_statements_break_behind_pgbouncer(pooled_cluster):
    """The failure the setting prevents is real: psycopg's default prepares, and transactions change servers."""
    cluster, bouncer = pooled_cluster
    with scratch_database(cluster.server_url) as url:
        through_pooler = bouncer.url_for(url)
        failures = _prepared_statement_failures(through_pooler)
        assert any("prepared statement" in failure for failure in failures), failures[:3]
        assert _prepared_statement_failures(through_pooler + "?pooler=pgbouncer") == []
        engine = make_engine(through_pooler, pooler="pgbouncer")
        connection = engine.raw_connection()
        try:
            assert connection.driver_connection.prepare_threshold is None
        finally:
            connection.close()
        engine.dispose()


def test_two_app_servers_behind_one_pgbouncer_share_limits_and_lose_nothing(pooled_cluster):
    cluster, bouncer = pooled_cluster
    store = _redis_or_fail()
    prefix = f"mileage-test-{secrets.token_hex(6)}"
    with scratch_database(cluster.server_url) as url:
        upgrade_database(url)
        engine = make_engine(url, pool_size=2)
        through_pooler = bouncer.url_for(url)
        shared = {
            **SERVER_ENVIRONMENT,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": prefix,
            "MILEAGE_DISABLE_RATE_LIMITS": "0",
        }
        # One server is told by the environment, the other by the URL: both ways must work.
        servers = [
            GunicornServer(through_pooler, workers=2, extra_environment={**shared, "MILEAGE_DB_POOLER": "pgbouncer"}),
            GunicornServer(through_pooler + "?pooler=pgbouncer", workers=2, extra_environment=shared),
        ]
        try:
            world = seed_world(engine)
            for server in servers:
                server.start()
            # A load balancer in front of both: the client threads are spread over the two servers.
            next_server = itertools.cycle(servers)
            choose = threading.Lock()

            def base_url() -> str:
                with choose:
                    return next(next_server).base_url

            _check_limits_are_shared(servers)

            workload = Workload(world, base_url, seed=17)
            workload.run(LOAD_SECONDS)
            workload.retry_unknown()
            summary = workload.summary()
            print(summary)
            with engine.connect() as connection:
                backends = connection.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                ).scalar_one()
            logs = "".join(server.log_path.read_text(errors="replace") for server in servers)
            problems = check_history(engine, world, workload)
        finally:
            for server in servers:
                server.stop()
            engine.dispose()
            keys = list(store.scan_iter(match=f"*{prefix}*"))
            if keys:
                store.delete(*keys)
            store.close()
    assert "prepared statement" not in logs
    assert summary.get("redeem:ok", 0) >= 20 and summary.get("approve:ok", 0) >= 5, summary
    # The pooler's server connections and the checker's own: never the servers' pools together.
    assert backends <= POOLER_SERVER_CONNECTIONS + 2, backends
    assert problems == []
    assert keys, "the limits were counted somewhere else than the shared Redis"


def _check_limits_are_shared(servers: list[GunicornServer]) -> None:
    """Failed sign-ins for one account, sent to both servers in turn, meet one limit of 5, not two."""
    username = f"nobody-{secrets.token_hex(4)}"
    body = json.dumps({"username": username, "password": "wrong-password"}).encode()
    clients = [HttpClient(server.base_url) for server in servers]
    statuses = []
    for attempt in range(7):
        reply = clients[attempt % 2].send("POST", "/auth/token", body, {"Content-Type": "application/json"})
        statuses.append(reply.status)
    for client in clients:
        client.close()
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429], statuses
