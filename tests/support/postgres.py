"""A PostgreSQL cluster of a test's own: its own data directory and port, started and stopped by the test.

Tests that stop, kill or reconfigure a server use one of these, never the machine's shared cluster.
The binaries are Debian's (/usr/lib/postgresql/<version>/bin); as root, the server runs as `postgres`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.gunicorn import free_port

BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def postgres_binaries() -> Path | None:
    """Return the folder of the newest PostgreSQL server binaries installed, if any."""
    return BINARIES[-1] if BINARIES else None


def _as_postgres(command: list[str]) -> list[str]:
    """Run a server command as the postgres user when we are root (initdb and postgres refuse root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PrivateCluster:
    """One throwaway cluster on 127.0.0.1 with trust authentication, in a temporary folder."""

    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mileage-pg-")))
    settings: dict = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, timeout: float = 60) -> None:
        subprocess.run(_as_postgres([str(postgres_binaries() / command[0]), *command[1:]]),
                       check=True, capture_output=True, timeout=timeout)

    def create(self) -> PrivateCluster:
        """Make the data directory (initdb) with trust authentication."""
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--no-sync")
        return self

    def start(self, *, timeout: float = 30) -> PrivateCluster:
        """Start the server and wait until it accepts connections."""
        options = {"listen_addresses": "127.0.0.1", "port": self.port, "unix_socket_directories": str(self.folder),
                   "fsync": "off", **self.settings}
        flags = " ".join(f"-c {name}={value}" for name, value in options.items())
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", flags, "-w",
                  "-t", str(int(timeout)), "start", timeout=timeout + 10)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: roll back what is running and close every connection)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        """Stop the server if it runs and remove its folder."""
        with contextlib.suppress(subprocess.CalledProcessError):  # it was not running
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
