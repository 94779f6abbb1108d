"""`mileage worker` as a real process: killed with SIGKILL mid-campaign and restarted, and two started at once.

Each test gets a scratch database of its own where the worker's transactions really commit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.donations import campaigns
from mileage.donations.campaigns import CampaignSelection
from mileage.migrations_runner import upgrade_database
from mileage.models import Campaign, CampaignItem, ConsentMethod, Donation, JobRun, WorkerLease
from tests.support.databases import configured_server_url, scratch_database
from tests.support.dying import dies_after_donations
from tests.support.factories import Factories

REPOSITORY = Path(__file__).resolve().parents[2]
VOLUNTEERS = 12
KILLED_AT = 5

WORKER = "from mileage.cli import main; main(['worker'])"
# The worker, made to die with SIGKILL after the KILLED_AT-th volunteer's donation is written and
# before that volunteer's transaction commits: the worst moment for a campaign.
DYING_WORKER = dies_after_donations(1) + """
from mileage.cli import main
main(['worker'])
"""


@pytest.fixture
def committed():
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        try:
            yield url, make_session_factory(engine)
        finally:
            engine.dispose()


def _environment(url: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("MILEAGE_", "WEB_"))}
    environment.update({
        "DATABASE_URL": url,
        "SECRET_KEY": "worker-test-secret-key",
        "TOKEN_SIGNING_KEY": "worker-test-token-signing-key-32-bytes",
        "MILEAGE_WORKER_CAMPAIGN_POLL_SECONDS": "1",
        "MILEAGE_WORKER_STANDBY_SECONDS": "1",
        "MILEAGE_WORKER_LEASE_SECONDS": "8",
    })
    return environment


def _start(url: str, *args: str, log: Path | None = None) -> subprocess.Popen:
    # Logs go to stderr (a file when the test reads them while the worker runs); stdout stays empty.
    stderr = log.open("w") if log is not None else subprocess.PIPE
    try:
        return subprocess.Popen(
            [sys.executable, "-c", *args], cwd=REPOSITORY, env=_environment(url),
            stdout=subprocess.DEVNULL, stderr=stderr, text=True,
        )
    finally:
        if log is not None:
            stderr.close()


def _wait_for(condition, *, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(process: subprocess.Popen) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        _out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
    return process.returncode, err


def _requested_campaign(session):
    make = Factories(session)
    cause = make.cause()
    cards = [make.card(balance=1000 * (n + 1)) for n in range(VOLUNTEERS)]
    campaign = campaigns.create_campaign(
        session, name="연말 캠페인", cause_id=cause.id,
        selection=CampaignSelection(volunteer_ids=tuple(card.volunteer_id for card in cards)),
        points_per_volunteer=None, consent_method=ConsentMethod.WRITTEN, consent_note="서면 동의서",
        actor=SYSTEM_ACTOR,
    )
    campaigns.request_campaign_run(session, campaign.id, actor=SYSTEM_ACTOR)
    return campaign.id, cause.account_id, [card.account_id for card in cards]


def test_a_worker_killed_mid_campaign_and_restarted_finishes_it_exactly_once(committed):
    url, factory = committed
    campaign_id, cause_account, card_accounts = run_in_transaction(factory, _requested_campaign)

    dying = _start(url, DYING_WORKER, str(KILLED_AT))
    _out, err = dying.communicate(timeout=120)
    assert dying.returncode == -signal.SIGKILL, err[-2000:]

    def item_states(session):
        return [item.state for item in session.scalars(
            select(CampaignItem).where(CampaignItem.campaign_id == campaign_id).order_by(CampaignItem.id))]

    done = KILLED_AT - 1
    assert run_in_transaction(factory, item_states) == ["done"] * done + ["pending"] * (VOLUNTEERS - done)

    restarted = _start(url, WORKER)
    try:
        _wait_for(
            lambda: run_in_transaction(factory, lambda s: s.get(Campaign, campaign_id).state) == "completed",
            what="the restarted worker to finish the campaign",
        )
    finally:
        code, err = _stop(restarted)
    assert code == 0, err[-2000:]

    def outcome(session):
        donations = session.execute(
            select(func.count(), func.count(func.distinct(Donation.volunteer_id)), func.sum(Donation.points))
            .where(Donation.campaign_id == campaign_id)
        ).one()
        return (tuple(donations), [ledger.get_balance(session, account) for account in card_accounts],
                ledger.get_balance(session, cause_account), ledger.check_invariants(session))

    donations, balances, cause_balance, invariants = run_in_transaction(factory, outcome)
    total = sum(1000 * (n + 1) for n in range(VOLUNTEERS))
    assert donations == (VOLUNTEERS, VOLUNTEERS, total)
    assert balances == [0] * VOLUNTEERS and cause_balance == total
    assert invariants.ok, invariants.as_dict()
    assert run_in_transaction(factory, item_states) == ["done"] * VOLUNTEERS
    # The run the killed worker left behind is recorded as interrupted, not as still running.
    statuses = run_in_transaction(factory, lambda s: set(s.scalars(select(JobRun.status))))
    assert "running" not in statuses


def test_a_second_worker_stands_by_and_takes_over_when_the_first_stops(committed, tmp_path):
    url, factory = committed
    second_log = tmp_path / "second.log"

    def holder_pid():
        lease = run_in_transaction(factory, lambda s: s.get(WorkerLease, "worker"))
        return lease.pid if lease is not None and lease.holder else None

    first = _start(url, WORKER)
    second = None
    try:
        _wait_for(lambda: holder_pid() == first.pid, what="the first worker to take the lease")
        # A new worker runs the daily jobs that have not succeeded today at once.
        _wait_for(lambda: "invariant-check" in run_in_transaction(
            factory, lambda s: set(s.scalars(select(JobRun.job).where(JobRun.status == "ok")))
        ), what="the overdue invariant check")
        second = _start(url, WORKER, log=second_log)
        _wait_for(lambda: "standing by" in second_log.read_text(), what="the second worker to stand by")
        time.sleep(2)
        assert second.poll() is None and holder_pid() == first.pid
        workers = run_in_transaction(factory, lambda s: set(s.scalars(select(JobRun.worker))))
        assert workers and all(worker.split(":")[1] == str(first.pid) for worker in workers)

        code, err = _stop(first)
        assert code == 0, err[-2000:]
        _wait_for(lambda: holder_pid() == second.pid, timeout=30, what="the standby worker to take over")
    finally:
        for process in (first, second):
            if process is not None:
                _stop(process)
    assert second.returncode == 0, second_log.read_text()[-3000:]
