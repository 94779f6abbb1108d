"""Shared benchmark plumbing: a scratch PostgreSQL database, latency statistics, the JSON result line."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable

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
