"""Crash: kill -9 a gunicorn worker, then the whole master, under load; retried requests post exactly once."""

from __future__ import annotations

import time

from tests.reliability.bank import check_history
from tests.reliability.conftest import LOAD_SECONDS


def test_killing_a_worker_and_then_the_master_loses_nothing_and_doubles_nothing(bank):
    workload = bank.workload(seed=2)
    killed: list[int] = []

    def kill_a_worker():
        killed.append(bank.server.kill_worker())

    def kill_the_master_and_start_again():
        bank.server.kill_master()
        time.sleep(0.5)  # clients find nobody listening
        bank.server.start(timeout=120)  # four workers booting on a machine under load

    workload.run(
        LOAD_SECONDS,
        events=[(LOAD_SECONDS * 0.25, kill_a_worker), (LOAD_SECONDS * 0.55, kill_the_master_and_start_again)],
    )
    cut_off = len(workload.unresolved())
    workload.retry_unknown()
    # A request can commit and lose its answer; the client's retry must then get that answer back.
    replay_problems = workload.replay_answered()

    summary = workload.summary()
    print({"killed_worker": killed, "unknown_after_crashes": cut_off, **summary})
    assert killed, "a worker was killed"
    assert cut_off > 0, "the crashes cut some requests off mid-flight, or this test proved nothing"
    # Unresolved operations are reported by check_history too, with everything else it finds.
    assert replay_problems + check_history(bank.engine, bank.world, workload) == []
