"""Shared benchmark plumbing: a scratch PostgreSQL database, latency statistics, the JSON result line."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def server_url() -> str:
    """Return the PostgreSQL server the benchmark creates its scratch database on."""
    return os.environ.get("MILEAGE_BENCH_DATABASE_URL", DEFAULT_SERVER_URL)


def time_calls(call: Callable[[], object], *, repeat: int, warmup: int = 20) -> list[float]:
    """Return the latency of each call in milliseconds, after some warm-up calls."""
    for _ in range(warmup):
        call()
    latencies = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    """Return a percentile (0..1) of some values, by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(figures: dict) -> None:
    """Print the one final JSON line of a benchmark."""
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def progress(message: str) -> None:
    """Say what the benchmark is doing, on stderr so stdout stays one JSON line."""
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system) that some processes have used so far, in seconds."""
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of stat(5)
    return total / ticks_per_second


def cpu_probe_for(server, engine) -> Callable[[], dict[str, float]]:
    """Return a probe of the CPU seconds used so far by a GunicornServer's workers, the database and this client.

    The database backends are the server processes of the benchmark's own database (PostgreSQL
    runs on this machine, as the benchmark requires), found in pg_stat_activity.
    """

    def probe() -> dict[str, float]:
        with engine.connect() as connection:
            backends = list(connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).scalars())
        return {"app": cpu_seconds(server.worker_pids()), "db": cpu_seconds(backends), "client": time.process_time()}

    return probe
