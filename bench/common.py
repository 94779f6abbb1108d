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


def _cpu_fields(pid: int) -> list[int] | None:
    """Return a process's utime, stime, cutime and cstime in clock ticks (fields 14 to 17 of stat(5))."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return [int(value) for value in fields[11:15]]


def cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system) that some processes have used so far, in seconds."""
    ticks = sum(sum(fields[:2]) for pid in pids if (fields := _cpu_fields(pid)) is not None)
    return ticks / os.sysconf("SC_CLK_TCK")


def reaped_children_cpu_seconds(pid: int) -> float:
    """Return the CPU time of the children a process has waited for, in seconds (0 if it is gone)."""
    fields = _cpu_fields(pid)
    return sum(fields[2:]) / os.sysconf("SC_CLK_TCK") if fields is not None else 0.0


def cpu_probe_for(server, engine) -> Callable[[], dict[str, float]]:
    """Return a probe of the CPU seconds used so far by a GunicornServer's workers, the database and this client.

    The workers' figure counts the workers gunicorn has already replaced (`max_requests`), through
    their master: without them a fast run's figure fell, even below zero. The database backends are
    the server processes of the benchmark's own database (PostgreSQL runs on this machine, as the
    benchmark requires), found in pg_stat_activity.
    """

    def probe() -> dict[str, float]:
        with engine.connect() as connection:
            backends = list(connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).scalars())
        workers = cpu_seconds(server.worker_pids()) + reaped_children_cpu_seconds(server.process.pid)
        return {"app": workers, "db": cpu_seconds(backends), "client": time.process_time()}

    return probe
