"""Bank-style consistency over HTTP: 16 clients move points through gunicorn; nothing is lost or doubled."""

from __future__ import annotations

from tests.reliability.bank import check_history
from tests.reliability.conftest import LOAD_SECONDS


def test_sixteen_clients_moving_points_leave_every_acknowledged_operation_exactly_once(bank):
    workload = bank.workload(seed=1)

    workload.run(LOAD_SECONDS)
    # Without faults a request only loses its answer if a kept-alive connection closes under it.
    workload.retry_unknown()

    summary = workload.summary()
    print(summary)
    assert summary.get("redeem:ok", 0) >= 20 and summary.get("approve:ok", 0) >= 5, summary
    assert summary["impatient_retries"] >= 10, "retries raced their originals, or this test proved nothing"
    # Any 5xx answer is reported here too, with everything else the check finds.
    assert check_history(bank.engine, bank.world, workload) == []
