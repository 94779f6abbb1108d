"""A pgbouncer of a test's own, in transaction mode, in front of a PostgreSQL server: its own port and ini.

Debian's pgbouncer (apt-get install pgbouncer). It refuses to run as root, so as root it runs as
`postgres`, like the PrivateCluster it usually fronts. Every database name is forwarded to the
server, so scratch databases made on the server are reachable through the pooler at once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.gunicorn import free_port

EXECUTABLE = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def pgbouncer_installed() -> bool:
    """Tell whether Debian's pgbouncer is installed."""
    return Path(EXECUTABLE).exists()


@dataclass
class PgBouncer:
    """One pgbouncer on 127.0.0.1 forwarding every database to `server_host:server_port`."""

    server_host: str
    server_port: int
    pool_mode: str = "transaction"
    # Server connections per (database, user): fewer than the app servers' pools together, as in production.
    pool_size: int = 8
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mileage-pgbouncer-")))
    process: subprocess.Popen | None = None

    def url_for(self, server_url: str) -> str:
        """Return a server URL rewritten to reach the same database through this pooler."""
        return make_url(server_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def _ini(self) -> str:
        return "\n".join([
            "[databases]",
            f"* = host={self.server_host} port={self.server_port}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {self.port}",
            f"unix_socket_dir = {self.folder}",
            "auth_type = trust",
            f"auth_file = {self.folder / 'users.txt'}",
            f"pool_mode = {self.pool_mode}",
            f"default_pool_size = {self.pool_size}",
            "max_client_conn = 1000",
            # Sent by libpq/psycopg at start-up; pgbouncer would refuse the connection otherwise.
            "ignore_startup_parameters = extra_float_digits,options",
            f"logfile = {self.folder / 'pgbouncer.log'}",
            f"pidfile = {self.folder / 'pgbouncer.pid'}",
            "",
        ])

    def start(self, *, timeout: float = 15) -> PgBouncer:
        """Write the ini and the user list, start pgbouncer and wait until it accepts connections."""
        (self.folder / "users.txt").write_text('"postgres" ""\n')
        ini = self.folder / "pgbouncer.ini"
        ini.write_text(self._ini())
        command = [EXECUTABLE, str(ini)]
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            for path in self.folder.iterdir():
                shutil.chown(path, "postgres", "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.1)
        raise TimeoutError(f"pgbouncer did not listen in {timeout}s: {self.log()[-2000:]}")

    def log(self) -> str:
        """Return pgbouncer's log so far."""
        try:
            return (self.folder / "pgbouncer.log").read_text()
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Stop pgbouncer (SIGTERM to its session, SIGKILL if it lingers) and remove its folder."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)
            self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
