"""gunicorn.conf.py and mileage.wsgi:app as the systemd unit runs them: a good start, and refusals in one line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mileage.migrations_runner import upgrade_database
from tests.support.gunicorn import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
STRONG = {
    "SECRET_KEY": "Qm3v9-Xr7TzLp2Wd8Yk4Hs6Nc1Bf5Gj0UaPe",
    "TOKEN_SIGNING_KEY": "Zt8Kq2Lm5Vx9Rp3Wn7Yc1Hd4Gs6Fb0JuAo",
}


def _gunicorn(environment: dict, port: int) -> subprocess.Popen:
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("MILEAGE_", "RATELIMIT_", "WEB_")) and key not in ("DATABASE_URL",)}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "mileage.wsgi:app"],
        cwd=REPOSITORY, env={**base, "MILEAGE_BIND": f"127.0.0.1:{port}", **environment},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def _refused(environment: dict) -> str:
    process = _gunicorn(environment, free_port())
    try:
        output, _ = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"gunicorn kept running: {output[-2000:]}")
    assert process.returncode != 0, output
    assert "Traceback" not in output, output
    return output


def test_an_unmigrated_database_stops_gunicorn_with_one_line(tmp_path):
    output = _refused({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", **STRONG})
    assert "mileage: cannot start: the database is not migrated" in output and "mileage db upgrade" in output


def test_production_with_per_process_limits_and_two_workers_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade_database(url)
    output = _refused({"DATABASE_URL": url, "MILEAGE_ENV": "production", "WEB_CONCURRENCY": "2", **STRONG})
    assert "attempt limits are kept per process" in output and "2 workers" in output


def test_the_production_settings_serve_and_log_one_json_line_per_request(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade_database(url)
    port = free_port()
    process = _gunicorn({"DATABASE_URL": url, "MILEAGE_ENV": "production", "WEB_CONCURRENCY": "1", **STRONG}, port)
    try:
        deadline, body = time.monotonic() + 60, None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = json.loads(response.read())
            except OSError:
                assert process.poll() is None, process.stdout.read()
                time.sleep(0.3)
        assert body is not None and body["status"] == "ok" and body["schema"]["state"] == "current"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith('{"time"')]
    access = [line for line in lines if line["logger"] == "mileage.access" and line["path"] == "/healthz"]
    assert access, output[-2000:]
    assert {"method", "path", "status", "duration_ms", "caller", "request_id"} <= access[-1].keys()
    assert access[-1]["time"].endswith("Z") and access[-1]["status"] == 200
    # The worker froze what the app built at start-up, so full collections stop every thread for less.
    frozen = re.search(r"froze (\d+) start-up objects", output)
    assert frozen and int(frozen[1]) > 10_000, output[-2000:]
