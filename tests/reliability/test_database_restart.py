"""PostgreSQL restarts under load: clear 503 JSON errors while it is down, recovery by itself, nothing lost.

The cluster is the test's own (its own data directory and port), so nothing else on the machine
notices the outage.
"""

from __future__ import annotations

import json
import time

from tests.reliability.bank import ENVELOPE_KEYS, HttpClient, Reply, check_history
from tests.reliability.conftest import LOAD_SECONDS

# How long after PostgreSQL is back the app may still answer 503 (stale pooled connections are
# pre-pinged and replaced, so this is only the time the cluster needs to accept connections).
RECOVERY_GRACE_SECONDS = 5
DOWN_FOR_SECONDS = 1.0


def test_database_restart_gives_clear_503s_then_recovers_and_loses_nothing(bank_on_own_cluster):
    bank = bank_on_own_cluster
    workload = bank.workload(seed=3)
    seed = bank.world.volunteers[0]
    probe_headers = {"Authorization": f"Bearer {workload.token_for(workload.volunteer_principal(seed))}"}
    probes: dict[str, Reply] = {}
    window: dict[str, float] = {}

    def restart_postgres():
        window["down"] = time.monotonic()
        bank.cluster.stop("fast")
        try:
            client = HttpClient(bank.server.base_url)
            probes["read"] = client.send("GET", "/me/card", headers=probe_headers)
            probes["donate"] = client.send(
                "POST", "/me/donations", json.dumps({"cause_id": min(bank.world.causes), "points": 1}).encode(),
                {**probe_headers, "Idempotency-Key": "probe-while-down"},
            )
            probes["health"] = client.send("GET", "/healthz")
            client.close()
            time.sleep(DOWN_FOR_SECONDS)  # the clients meet the outage too
        finally:
            bank.cluster.start()
            window["up"] = time.monotonic()

    # Long enough that the clients run on for a while after the cluster is back.
    seconds = max(LOAD_SECONDS, 15)
    workload.run(seconds, events=[(seconds * 0.25, restart_postgres)])
    during_outage = len(workload.unresolved())
    workload.retry_unknown()

    print({"unknown_after_outage": during_outage, "outage_seconds": window["up"] - window["down"],
           **workload.summary()})
    for name in ("read", "donate"):
        reply = probes[name]
        assert reply.status == 503, (name, reply.status, reply.body[:300])
        body = reply.json()
        assert set(body) == ENVELOPE_KEYS and body["code"] == "database_unavailable", body
        assert reply.headers.get("retry-after") == "5"
    health = probes["health"]
    assert health.status == 503 and health.json()["database"] == "unavailable"
    # Every failure the clients met was that clear 503, never a 500 or an HTML page.
    for error in workload.server_errors:
        body = json.loads(error.body)
        assert error.status == 503 and body["code"] == "database_unavailable", (error.status, error.body[:300])
    late = [at for at, status in workload.timeline if status >= 500 and at > window["up"] + RECOVERY_GRACE_SECONDS]
    assert not late, f"{len(late)} errors more than {RECOVERY_GRACE_SECONDS}s after PostgreSQL was back"
    recovered = [at for at, status in workload.timeline if 200 <= status < 300 and at > window["up"]]
    assert recovered, "the app answered again after the restart without being restarted itself"
    assert check_history(bank.engine, bank.world, workload, server_errors_allowed={503}) == []
