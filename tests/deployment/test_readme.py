"""The README stays true: its curl examples run in order against a live demo server, and every answer is checked.

The blocks under "Main flows with curl" run in one bash shell (as a reader would paste them) against
gunicorn serving a freshly loaded demo. A `curl` wrapper records each call's status line and headers,
so each answer is checked here; an example that goes stale fails this test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mileage.db import make_engine, make_session_factory
from mileage.models import Claim, Donation, Redemption, Refund
from tests.support.gunicorn import GunicornServer

REPOSITORY = Path(__file__).resolve().parents[2]
README = REPOSITORY / "README.md"
# Variables a shell or a terminal relies on: an example must never assign them.
RESERVED = {"TERM", "PATH", "HOME", "USER", "SHELL", "PWD", "OLDPWD", "LANG", "IFS", "PS1", "HOSTNAME",
            "TMPDIR", "EDITOR", "DISPLAY", "LOGNAME", "MAIL", "SHLVL", "COLUMNS", "LINES", "BASH_ENV"}

# What each curl call of the curl section must answer, in order: (method, path, status).
EXPECTED = [
    ("POST", "/auth/token", 200),
    ("POST", "/auth/token", 200),
    ("GET", "/admin/claims", 200),
    ("GET", "/admin/claims", 200),
    ("POST", "/admin/claims/{id}/approve", 200),
    ("GET", "/admin/claims", 200),
    ("POST", "/admin/claims/bulk-approve", 200),
    ("POST", "/admin/claims/import", 200),
    ("GET", "/me/card", 200),
    ("GET", "/me/history", 200),
    ("GET", "/me/card/qr.png", 200),
    ("GET", "/me/card/qr", 200),
    ("GET", "/me/statement.csv", 200),
    ("POST", "/merchant/auth/token", 200),
    ("POST", "/merchant/quote", 200),
    ("POST", "/merchant/redemptions", 201),
    ("POST", "/merchant/redemptions/{id}/refunds", 201),
    ("GET", "/merchant/settlement", 200),
    ("GET", "/merchant/settlement", 200),
    ("GET", "/causes", 200),
    ("GET", "/causes", 200),
    ("POST", "/me/donations", 201),
    ("GET", "/admin/reports/movements", 200),
    ("GET", "/admin/reports/liability", 200),
    ("GET", "/admin/reports/movements", 200),
    ("POST", "/merchant/redemptions", 422),
]

# Records every call: its headers (-D) into a numbered file; counted by file so that calls inside
# $(...) subshells are numbered too.
CURL_WRAPPER = r'''
curl() {
  local n
  n=$(ls "$CURL_LOG" | wc -l)
  n=$(printf '%03d' "$n")
  printf '%s\n' "$*" > "$CURL_LOG/$n.args"
  command curl -D "$CURL_LOG/$n.headers" "$@"
}
'''


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def curl_section() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Main flows with curl"):text.index("### Pages")]
    return "\n".join(sh_blocks(section))


def test_no_example_overwrites_a_variable_the_shell_or_terminal_relies_on():
    assigned = set()
    for block in sh_blocks(README.read_text(encoding="utf-8")):
        assigned |= set(re.findall(r"(?:^|[;&|]\s*|\s)([A-Z_][A-Z0-9_]*)=", block, flags=re.M))
    assert assigned, "the README assigns no variables: did the parsing break?"
    assert not (assigned & RESERVED), assigned & RESERVED


def test_the_quick_start_installs_no_test_tools():
    text = README.read_text(encoding="utf-8")
    quick = text[text.index("## Quick start"):text.index("## Run the tests")]
    assert "pip install -e ." in quick and "[test]" not in quick


@pytest.fixture
def demo_server(tmp_path):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("MILEAGE_", "RATELIMIT_", "WEB_"))}
    environment.update({"DATABASE_URL": url, "SECRET_KEY": "readme-test-secret-key",
                        "TOKEN_SIGNING_KEY": "load-test-token-signing-key-32-bytes"})
    loaded = subprocess.run([sys.executable, "-c", "from mileage.cli import main; main()", "demo"],
                            cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    server = GunicornServer(url, workers=1, threads=4)
    server.start(timeout=60)
    try:
        yield server, url, environment
    finally:
        server.stop()


def test_the_curl_examples_work_in_order_against_the_demo(demo_server, tmp_path):
    server, url, environment = demo_server
    script = curl_section().replace("http://127.0.0.1:5000", server.base_url)
    log = tmp_path / "calls"
    log.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # `mileage` in the examples is this checkout's command, run against the demo's database.
    command = f"exec {sys.executable} -c 'from mileage.cli import main; main()' \"$@\""
    (bin_dir / "mileage").write_text(f"#!/bin/sh\n{command}\n")
    (bin_dir / "mileage").chmod(0o755)
    environment = {**environment, "CURL_LOG": str(log), "PATH": f"{bin_dir}:{environment['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + CURL_WRAPPER + script],
        cwd=work, env=environment, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    calls = []
    for headers in sorted(log.glob("*.headers")):
        status_line = headers.read_text().splitlines()[0]
        args = headers.with_suffix(".args").read_text()
        path = re.search(r"https?://127\.0\.0\.1:\d+([^\s\"'?]*)", args).group(1)
        method = "POST" if (" -d " in f" {args} " or " -F " in f" {args} " or "-X POST" in args) else "GET"
        calls.append((method, re.sub(r"/\d+(?=/|$)", "/{id}", path), int(status_line.split()[1]),
                      headers.read_text()))
    assert [call[:3] for call in calls] == EXPECTED, result.stdout[-3000:]

    # The answers carried what the text says they do.
    assert (work / "qr.png").read_bytes().startswith(b"\x89PNG")
    assert (work / "statement.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (work / "settlement.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "사업자등록번호" in (work / "settlement.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "text/csv" in calls[24][3]
    assert '"code": "qr_token_invalid"' in result.stdout or '"code":"qr_token_invalid"' in result.stdout
    assert "This QR code is not valid." in result.stdout
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            sample = select(func.count()).select_from(Claim).where(Claim.note == "하천 정화 야간 순찰")
            imported = session.scalar(sample)
            assert imported == 3
            assert session.scalar(select(func.count()).select_from(Refund)) >= 1
            assert session.scalar(select(func.count()).select_from(Redemption)) >= 1
            assert session.scalar(select(func.count()).select_from(Donation)) >= 1
    finally:
        engine.dispose()
