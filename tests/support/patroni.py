"""A high-availability PostgreSQL of a test's own: etcd and two Patroni nodes (a primary and a standby).

Debian's packages (apt-get install patroni etcd-server postgresql). Everything lives in one
temporary folder, on free ports: etcd's data, each node's data directory, Patroni's configuration
and logs. As root, Patroni (and the PostgreSQL it manages) runs as `postgres`.

`synchronous=True` is Patroni's synchronous mode: a commit is acknowledged only once the standby
has it, and only that standby may be promoted, so a failover loses nothing acknowledged.
`primary_start_timeout: 0` makes Patroni fail over at once when the primary's postmaster dies,
rather than restart it in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.gunicorn import free_port
from tests.support.postgres import postgres_binaries

PATRONI = shutil.which("patroni") or "/usr/bin/patroni"
ETCD = shutil.which("etcd") or "/usr/bin/etcd"


def ha_packages_installed() -> bool:
    """Tell whether Patroni, etcd and the PostgreSQL server binaries are installed."""
    return Path(PATRONI).exists() and Path(ETCD).exists() and postgres_binaries() is not None


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Node:
    """One Patroni member: its name, PostgreSQL port, REST API port and process."""

    name: str
    folder: Path
    pg_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def postmaster_pid(self) -> int | None:
        """Return the pid of this node's postmaster, if it runs."""
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None


@dataclass
class PatroniCluster:
    """etcd plus two Patroni nodes on 127.0.0.1, in a temporary folder; `start` waits for a streaming standby."""

    synchronous: bool = True
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mileage-patroni-")))
    etcd_client_port: int = field(default_factory=free_port)
    etcd_peer_port: int = field(default_factory=free_port)
    scope: str = field(default_factory=lambda: f"mileage-test-{os.getpid()}-{time.monotonic_ns() % 100000}")
    nodes: list[Node] = field(default_factory=list)
    etcd: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        if not self.nodes:
            self.nodes = [Node(f"node{n}", self.folder / f"node{n}") for n in (1, 2)]

    # --- URLs -------------------------------------------------------------------------------

    def multi_host_url(self, database: str) -> str:
        """A URL naming both nodes: libpq tries each and keeps the one that accepts writes."""
        hosts = "&".join(f"host=127.0.0.1:{node.pg_port}" for node in self.nodes)
        return f"postgresql+psycopg://postgres@/{database}?{hosts}&target_session_attrs=read-write"

    def node_url(self, node: Node, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{node.pg_port}/{database}"

    # --- the processes ----------------------------------------------------------------------

    def _config(self, node: Node) -> dict:
        return {
            "scope": self.scope,
            "name": node.name,
            "log": {"level": "INFO", "dir": str(node.folder)},
            "restapi": {"listen": f"127.0.0.1:{node.api_port}", "connect_address": f"127.0.0.1:{node.api_port}"},
            "etcd3": {"hosts": [f"127.0.0.1:{self.etcd_client_port}"]},
            "bootstrap": {
                "dcs": {
                    "ttl": 20,
                    "loop_wait": 1,
                    "retry_timeout": 5,
                    "maximum_lag_on_failover": 16 * 1024 * 1024,
                    "primary_start_timeout": 0,
                    "synchronous_mode": self.synchronous,
                    "postgresql": {
                        "use_pg_rewind": False,
                        "parameters": {
                            "wal_level": "replica",
                            "hot_standby": "on",
                            "max_wal_senders": 5,
                            "max_replication_slots": 5,
                            "wal_keep_size": "256MB",
                            "max_connections": 100,
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"auth": "trust"}],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{node.pg_port}",
                "connect_address": f"127.0.0.1:{node.pg_port}",
                "data_dir": str(node.data),
                "bin_dir": str(postgres_binaries()),
                "pgpass": str(node.folder / "pgpass"),
                "authentication": {"superuser": {"username": "postgres"}, "replication": {"username": "postgres"}},
                "parameters": {"unix_socket_directories": str(node.folder)},
                "pg_hba": [
                    "local all all trust",
                    "host all all 127.0.0.1/32 trust",
                    "host replication all 127.0.0.1/32 trust",
                ],
            },
        }

    def start(self, *, timeout: float = 120) -> PatroniCluster:
        """Start etcd, then both nodes (the first bootstraps the cluster), and wait for a streaming standby."""
        etcd_data = self.folder / "etcd"
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        client = f"http://127.0.0.1:{self.etcd_client_port}"
        log = (self.folder / "etcd.log").open("ab")
        self.etcd = subprocess.Popen(
            [ETCD, "--name", "etcd1", "--data-dir", str(etcd_data),
             "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", f"etcd1={peer}", "--initial-cluster-state", "new",
             "--initial-cluster-token", self.scope],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()  # the child has its own copy
        self._wait(lambda: self._get(f"{client}/health"), 30, "etcd did not answer")
        for node in self.nodes:
            node.folder.mkdir(parents=True, exist_ok=True)
            (node.folder / "patroni.yml").write_text(json.dumps(self._config(node)))  # JSON is YAML
        if os.geteuid() == 0:
            for path in [self.folder, *self.folder.rglob("*")]:
                if "etcd" not in path.parts[-1] and etcd_data not in path.parents:
                    shutil.chown(path, "postgres", "postgres")
        for index, node in enumerate(self.nodes):
            log = (node.folder / "patroni.out").open("ab")
            node.process = subprocess.Popen(
                _as_postgres([PATRONI, str(node.folder / "patroni.yml")]),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            log.close()
            if index == 0:
                self._wait(lambda: self.leader() is not None, timeout, "no leader was elected")
        wanted = "sync_standby" if self.synchronous else "replica"
        self._wait(lambda: any(m.get("role") == wanted and m.get("state") in ("streaming", "running")
                               for m in self.members()), timeout, f"no {wanted} came up")
        return self

    def _get(self, url: str):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read() or b"{}")
        except (OSError, ValueError):
            return None

    def _wait(self, condition, timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.3)
        raise TimeoutError(f"{message} in {timeout}s: {self.logs()[-3000:]}")

    def members(self) -> list[dict]:
        """Return the cluster's members as Patroni's REST API reports them (any live node answers)."""
        for node in self.nodes:
            answer = self._get(f"http://127.0.0.1:{node.api_port}/cluster")
            if answer and answer.get("members"):
                return answer["members"]
        return []

    def leader(self) -> Node | None:
        """Return the node that holds the leader key and runs, if any."""
        for member in self.members():
            if member.get("role") == "leader" and member.get("state") == "running":
                return next(node for node in self.nodes if node.name == member["name"])
        return None

    def wait_for_leader(self, other_than: Node, timeout: float = 60) -> Node:
        """Wait until a node other than `other_than` leads; return it."""
        self._wait(lambda: (self.leader() or other_than) is not other_than, timeout, "no standby was promoted")
        return self.leader()

    def kill_postmaster(self, node: Node) -> int:
        """SIGKILL a node's postmaster (not Patroni: it sees the crash and fails over); return the pid."""
        pid = node.postmaster_pid()
        if pid is None:
            raise RuntimeError(f"{node.name} runs no postmaster")
        os.kill(pid, signal.SIGKILL)
        return pid

    def walsender_pid(self, node: Node) -> int | None:
        """Return the pid of the primary's WAL sender (a child of its postmaster), if one runs."""
        return self._child_pid(node, b"walsender")

    def _child_pid(self, node: Node, marker: bytes) -> int | None:
        """Return the pid of a child of the node's postmaster whose command line holds `marker`."""
        postmaster = node.postmaster_pid()
        if postmaster is None:
            return None
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
                command = (entry / "cmdline").read_bytes()
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            if parent == postmaster and marker in command:
                return int(entry.name)
        return None

    def logs(self) -> str:
        """Return the Patroni logs of both nodes."""
        text = []
        for node in self.nodes:
            for name in ("patroni.out", "patroni.log"):
                with contextlib.suppress(FileNotFoundError):
                    text.append(f"--- {node.name} {name}\n" + (node.folder / name).read_text(errors="replace")[-4000:])
        return "\n".join(text)

    def destroy(self) -> None:
        """Stop Patroni (which stops PostgreSQL), then etcd, killing what lingers; remove the folder."""
        for node in self.nodes:
            if node.process is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.process.pid, signal.SIGTERM)
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(node.process.pid, signal.SIGKILL)
                    node.process.wait(timeout=10)
            pid = node.postmaster_pid()
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)  # Patroni died before its PostgreSQL
        if self.etcd is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.etcd.pid, signal.SIGTERM)
            try:
                self.etcd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.etcd.pid, signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)
