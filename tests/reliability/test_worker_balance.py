"""Kept-alive connections are spread over gunicorn's workers (gunicorn.conf.py), so every worker's GIL works.

32 clients each hold one keep-alive connection and send requests as fast as they are answered, the
way tills and a reverse proxy's upstream pool do. Without the cap, one busy worker used to accept
nearly all of them (32/0). The counts come from /proc: each worker's sockets that are established
connections to the server's port.
"""

from __future__ import annotations

import http.client
import threading
import time

from mileage.migrations_runner import upgrade_database
from tests.support.connections import connections_per_process
from tests.support.databases import configured_server_url, scratch_database
from tests.support.gunicorn import GunicornServer

CLIENTS = 32
WORKERS = 2
THREADS = 4
LOAD_SECONDS = 6
# With the cap, a worker keeps at most its half of the kept-alive connections (16) plus its threads'
# connections being closed: the other worker holds the rest.
MIN_SHARE_PER_SAMPLE = 0.3


def _hammer(port: int, stop: threading.Event, answered: list[int]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            answered.append(response.status)
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException):
            connection.close()
    connection.close()


def test_kept_alive_connections_are_spread_over_the_workers():
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        server = GunicornServer(url, workers=WORKERS, threads=THREADS,
                                extra_environment={"MILEAGE_KEEPALIVE_CLIENTS": str(CLIENTS)})
        with server:
            stop = threading.Event()
            answered: list[int] = []
            clients = [threading.Thread(target=_hammer, args=(server.port, stop, answered)) for _ in range(CLIENTS)]
            for client in clients:
                client.start()
            samples = []
            try:
                time.sleep(1.5)
                deadline = time.monotonic() + LOAD_SECONDS
                while time.monotonic() < deadline:
                    samples.append(connections_per_process(server.worker_pids(), server.port))
                    time.sleep(0.5)
            finally:
                stop.set()
                for client in clients:
                    client.join(30)
            log = server.log_path.read_text(errors="replace")
    print(samples)
    assert "worker_connections=" in log, "gunicorn.conf.py was not read"
    assert len(answered) > 100 and set(answered) == {200}, set(answered)
    assert samples and all(len(sample) == WORKERS for sample in samples), samples
    for sample in samples:
        total = sum(sample.values())
        assert total >= CLIENTS // 2, sample
        assert min(sample.values()) >= MIN_SHARE_PER_SAMPLE * total, f"one worker holds the connections: {samples}"
