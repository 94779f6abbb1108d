"""Run the same unit of work from many threads at once, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mileage.db import make_session_factory, run_in_transaction

RACE_TIMEOUT_SECONDS = 60


@dataclass
class Outcome:
    """What one racing thread got back: a value, or the error it raised."""

    value: Any = None
    error: BaseException | None = None


def race(engine: Engine, count: int, work: Callable[[Session, int], Any]) -> list[Outcome]:
    """Run work(session, thread_index) in `count` threads released together; return each outcome.

    Every thread opens its own connection before the start line, so the transactions really
    overlap instead of queueing for a pooled connection. Each runs in `run_in_transaction`, the
    same retrying unit of work the app uses.
    """
    start_line = threading.Barrier(count)
    outcomes = [Outcome() for _ in range(count)]

    def run(index: int) -> None:
        try:
            with engine.connect() as connection:
                start_line.wait(timeout=RACE_TIMEOUT_SECONDS)
                outcomes[index].value = run_in_transaction(
                    make_session_factory(connection), lambda session: work(session, index)
                )
        except BaseException as exc:  # noqa: BLE001 - the test inspects every outcome
            outcomes[index].error = exc

    threads = [threading.Thread(target=run, args=(index,), name=f"racer-{index}") for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_TIMEOUT_SECONDS)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"threads still running after {RACE_TIMEOUT_SECONDS}s: {stuck}"
    return outcomes
