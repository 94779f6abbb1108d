"""The machine's ceiling: pgbench's TPC-B-like run on its own scratch database, same clients and duration."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from bench.common import progress
from tests.support.databases import scratch_database

_TPS = re.compile(r"^tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)", re.M)


def _connection_arguments(url: str) -> tuple[list[str], dict]:
    """Return pgbench's connection options and environment for a SQLAlchemy URL."""
    parsed = make_url(url)
    arguments = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    if parsed.username:
        arguments += ["-U", parsed.username]
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    return arguments + [parsed.database], environment


@contextmanager
def pgbench(server_url: str, *, scale: int = 1) -> Iterator[Callable[..., float]]:
    """Create a scratch database initialised by `pgbench -i`; yield a function that runs pgbench on it.

    The function takes `clients`, `seconds` and `threads` (2 by default), runs
    `pgbench -c clients -j threads -T seconds` and returns its transactions per second.

    :raises RuntimeError: pgbench is missing or failed.
    """
    executable = shutil.which("pgbench")
    if executable is None:
        raise RuntimeError("pgbench is not installed (apt-get install postgresql-client)")
    with scratch_database(server_url) as url:
        connection, environment = _connection_arguments(url)
        progress(f"pgbench: initialising (scale {scale})")
        subprocess.run([executable, "-i", "-q", "-s", str(scale), *connection], env=environment, check=True,
                       capture_output=True, text=True)

        def run(*, clients: int, seconds: int, threads: int = 2) -> float:
            progress(f"pgbench: {clients} clients, {threads} threads, {seconds} s")
            finished = subprocess.run(
                [executable, "-c", str(clients), "-j", str(threads), "-T", str(seconds), *connection],
                env=environment, capture_output=True, text=True,
            )
            found = _TPS.search(finished.stdout)
            if finished.returncode != 0 or found is None:
                raise RuntimeError(f"pgbench failed: {finished.stdout[-500:]} {finished.stderr[-500:]}")
            return float(found.group(1))

        yield run


def bracketed_ceiling(run: Callable[..., float], clients: int, seconds: int, work: Callable[[], object]):
    """Run pgbench for half the time before `work` and half after; return work's result and the mean tps.

    Other load on a shared machine comes and goes: measuring the ceiling on both sides of the
    benchmark's own load lets both figures see the same background.
    """
    first_half = max(1, seconds // 2)
    before = run(clients=clients, seconds=first_half)
    result = work()
    after = run(clients=clients, seconds=max(1, seconds - first_half))
    return result, round((before + after) / 2, 1), [round(before, 1), round(after, 1)]
