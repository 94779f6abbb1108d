"""Run the real app under gunicorn on 127.0.0.1 against a given database, for load and fault tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class GunicornServer:
    """A gunicorn master with its workers, serving `mileage.app:create_app()` (or another app factory)."""

    database_url: str
    app: str = "mileage.app:create_app()"
    workers: int = 4
    threads: int = 4
    port: int = field(default_factory=free_port)
    extra_environment: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 30) -> GunicornServer:
        """Start the master and wait until /healthz answers."""
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "load-test-secret-key",
            "TOKEN_SIGNING_KEY": "load-test-token-signing-key-32-bytes",
            # Limits are per process in memory; load tests hammer one account on purpose.
            "MILEAGE_DISABLE_RATE_LIMITS": "1",
            **self.extra_environment,
        }
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"mileage-gunicorn-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers),
                "--worker-class", "gthread", "--threads", str(self.threads),
                "--graceful-timeout", "5", "--timeout", "60",
                self.app,
            ],
            cwd=REPOSITORY,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # The child has its own copy of the log's descriptor; close ours.
        log.close()
        deadline = time.monotonic() + timeout
        self.wait_until_healthy(timeout=timeout)
        self._wait_until_every_worker_is_ready(deadline)
        return self

    def _wait_until_every_worker_is_ready(self, deadline: float) -> None:
        """Wait until each worker has loaded the app: one answering /healthz is not all of them accepting."""
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            log = self.log_path.read_text(errors="replace")
            if len(pids) == self.workers and all(f"worker {pid} ready" in log for pid in pids):
                return
            time.sleep(0.2)
        raise TimeoutError(f"not every gunicorn worker became ready: see {self.log_path}")

    def wait_until_healthy(self, *, timeout: float = 30) -> None:
        """Poll /healthz until it answers 200, or fail after the timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"gunicorn did not become healthy in {timeout}s: see {self.log_path}")

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's workers."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def worker_rss_mb(self) -> list[float]:
        """Return each worker's resident memory in MiB."""
        sizes = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
            except FileNotFoundError:
                continue
        return sizes

    def kill_worker(self) -> int:
        """SIGKILL one worker (the master starts a new one) and return its pid."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_master(self) -> None:
        """SIGKILL the master and its workers at once, like a machine losing power."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then forcefully if needed."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
