"""The background worker's pieces on a real, committed database: its lease, job runs, alerts, pruning."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from mileage.clock import utc_now
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from mileage.models import Account, IdempotentRequest, JobRun, WorkerLease
from mileage.retention import prune_expired_records
from mileage.tiers.review import latest_review_day
from mileage.worker import (
    JOBS,
    WorkerLeaseHolder,
    WorkerSettings,
    execute_job,
    jobs_health,
    run_job_once,
)
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories

SETTINGS = WorkerSettings(lease_seconds=30, renew_seconds=5)


@pytest.fixture
def committed():
    """An engine and session factory on a freshly migrated scratch database whose commits are real."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        try:
            yield engine, make_session_factory(engine)
        finally:
            engine.dispose()


def _lease(factory):
    return run_in_transaction(factory, lambda session: session.get(WorkerLease, "worker"))


def test_only_one_worker_holds_the_lease_until_it_lets_go(committed):
    engine, factory = committed
    first, second = WorkerLeaseHolder(engine, factory, SETTINGS), WorkerLeaseHolder(engine, factory, SETTINGS)
    assert first.try_acquire() is True
    assert second.try_acquire() is False
    assert _lease(factory).holder == first.holder
    assert first.renew() is True
    first.release()
    assert second.try_acquire() is True
    assert _lease(factory).holder == second.holder
    # The first worker's lease is gone: renewing tells it to stop.
    assert first.renew() is False
    second.release()


def test_a_lease_whose_process_died_is_taken_over_at_once(committed):
    engine, factory = committed
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    holder = WorkerLeaseHolder(engine, factory, SETTINGS)

    def plant(session):
        now = utc_now()
        session.add(WorkerLease(name="worker", holder=f"{holder.host}:{dead_pid}:gone", host=holder.host,
                                pid=dead_pid, acquired_at=now, renewed_at=now, expires_at=now + timedelta(hours=1)))

    run_in_transaction(factory, plant)
    run_in_transaction(factory, lambda s: s.add(JobRun(job="run-campaigns", status="running", worker="gone")))
    assert holder.try_acquire() is True
    # The run the dead worker left "running" is recorded as interrupted.
    statuses = run_in_transaction(factory, lambda s: list(s.scalars(select(JobRun.status))))
    assert statuses == ["failed"]
    holder.release()


def test_a_live_unexpired_lease_of_another_host_is_respected(committed):
    engine, factory = committed
    if engine.dialect.name == "postgresql":
        pytest.skip("on PostgreSQL the advisory lock decides, not the row")

    def plant(session):
        now = utc_now()
        session.add(WorkerLease(name="worker", holder="elsewhere:1:x", host="elsewhere", pid=1,
                                acquired_at=now, renewed_at=now, expires_at=now + timedelta(seconds=30)))

    run_in_transaction(factory, plant)
    holder = WorkerLeaseHolder(engine, factory, SETTINGS)
    assert holder.try_acquire() is False
    run_in_transaction(factory, lambda s: s.execute(update(WorkerLease).values(expires_at=utc_now())))
    assert holder.try_acquire() is True
    holder.release()


def test_a_broken_invariant_is_an_alert_that_monitoring_sees(committed):
    engine, factory = committed

    def set_up(session):
        card = Factories(session).card(balance=500)
        # Corrupt the stored balance behind the ledger's back.
        session.execute(update(Account).where(Account.id == card.account_id).values(balance=Account.balance + 1))

    run_in_transaction(factory, set_up)
    assert run_job_once(engine, factory, {}, "invariant-check") == 3
    runs = run_in_transaction(factory, lambda s: list(s.scalars(select(JobRun))))
    assert [(run.job, run.status) for run in runs] == [("invariant-check", "alert")]
    assert runs[0].detail["balance_mismatches"]
    health = run_in_transaction(factory, jobs_health)
    assert not health.healthy
    assert "invariant-check: last run alert" in health.problems


def test_a_healthy_ledger_check_is_ok_and_a_failing_job_is_recorded(committed):
    engine, factory = committed
    assert run_job_once(engine, factory, {}, "invariant-check") == 0

    def explode(*_args):
        raise RuntimeError("disk full")

    job = JOBS["prune"].__class__("prune", explode, "cron", {})
    run = execute_job(factory, job, SETTINGS, worker="test")
    assert run.status == "failed" and run.detail == {"error": "RuntimeError", "message": "disk full"}


def test_pruning_keeps_what_is_inside_the_retention_period(committed):
    _engine, factory = committed
    now = utc_now()

    def seed(session):
        for key, age in (("old", 31), ("recent", 29)):
            session.add(IdempotentRequest(scoped_key=key, request_fingerprint="f", status_code=200,
                                          response_body="{}", created_at=now - timedelta(days=age)))

    run_in_transaction(factory, seed)
    summary = prune_expired_records(factory, now=now)
    assert summary.idempotent_requests == 1
    left = run_in_transaction(factory, lambda s: list(s.scalars(select(IdempotentRequest.scoped_key))))
    assert left == ["recent"]
    assert prune_expired_records(factory, now=now).idempotent_requests == 0


def test_health_without_any_worker_says_to_start_one(committed):
    _engine, factory = committed
    health = run_in_transaction(factory, jobs_health)
    assert health.problems == ["no worker has ever run: start `mileage worker`"]
    with _engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM job_runs")) == 0


def test_a_refused_campaign_never_holds_up_the_ones_behind_it(committed):
    from mileage.audit import SYSTEM_ACTOR
    from mileage.donations import campaigns, causes
    from mileage.donations.campaigns import CampaignSelection
    from mileage.models import Campaign, CauseStatus, ConsentMethod

    _engine, factory = committed

    def set_up(session):
        make = Factories(session)
        ids = []
        for _ in range(2):
            cause = make.cause()
            card = make.card(balance=1000)
            campaign = campaigns.create_campaign(
                session, name="연말 캠페인", cause_id=cause.id,
                selection=CampaignSelection(volunteer_ids=(card.volunteer_id,)), points_per_volunteer=None,
                consent_method=ConsentMethod.WRITTEN, consent_note="서면 동의서", actor=SYSTEM_ACTOR,
            )
            campaigns.request_campaign_run(session, campaign.id, actor=SYSTEM_ACTOR)
            ids.append((campaign.id, cause.id))
        # The first one's cause closes after staff asked for the run.
        causes.set_cause_status(session, ids[0][1], CauseStatus.CLOSED, actor=SYSTEM_ACTOR)
        return [campaign_id for campaign_id, _ in ids]

    first, second = run_in_transaction(factory, set_up)
    run = execute_job(factory, JOBS["run-campaigns"], SETTINGS, worker="test")
    assert run.status == "ok"
    assert run.detail["campaigns"][0] == {"campaign_id": first, "refused": "cause_closed"}
    states = run_in_transaction(factory, lambda s: {c.id: c.state for c in s.scalars(select(Campaign))})
    assert states[second] == "completed" and states[first] != "completed"


def test_daily_jobs_are_overdue_until_they_succeed(committed):
    from mileage.worker import overdue_daily_jobs

    engine, factory = committed
    assert overdue_daily_jobs(factory) == ["expire-points", "prune", "invariant-check", "flag-site-visits",
                                           "review-tiers"]
    assert run_job_once(engine, factory, {}, "invariant-check") == 0
    assert overdue_daily_jobs(factory) == ["expire-points", "prune", "flag-site-visits", "review-tiers"]


def test_the_yearly_tier_review_is_held_once_for_its_day_and_moves_a_lapsed_tier_down(committed):
    from mileage.audit import SYSTEM_ACTOR
    from mileage.clock import seoul_today
    from mileage.models import TierChange, VolunteerTier
    from mileage.programme import book, presets

    engine, factory = committed
    today = seoul_today()

    def set_up(session):
        book.create_rule_set(session, name="노원", effective_from=today - timedelta(days=800), actor=SYSTEM_ACTOR,
                             definition=presets.preset("nowon-2011")["definition"], allow_past=True)
        volunteer = Factories(session).volunteer()
        # 그린 two years ago, and no certified hours since: the keep condition (20 h a year) is missed.
        session.add(VolunteerTier(volunteer_id=volunteer.id, tier="그린", rank=1, since=today - timedelta(days=700)))
        return volunteer.id

    volunteer_id = run_in_transaction(factory, set_up)
    first = execute_job(factory, JOBS["review-tiers"], SETTINGS, worker="test")
    assert first.status == "ok" and first.detail["changes"] == 1
    assert first.detail["review_of"] == latest_review_day(today).isoformat()
    assert first.detail["as_of"] == today.isoformat()

    def tier_and_history(session):
        changes = session.scalars(select(TierChange).where(TierChange.volunteer_id == volunteer_id)).all()
        return session.get(VolunteerTier, volunteer_id).tier, [(c.from_tier, c.to_tier, c.reason) for c in changes]

    assert run_in_transaction(factory, tier_and_history) == ("일반", [("그린", "일반", "yearly_review")])
    # The same review day is never held twice, however often the daily job runs.
    second = execute_job(factory, JOBS["review-tiers"], SETTINGS, worker="test")
    assert second.status == "ok" and second.detail == {"review_of": first.detail["review_of"], "already_held": True}
    assert len(run_in_transaction(factory, tier_and_history)[1]) == 1


@pytest.mark.parametrize("today, review_day, expected", [
    ("2026-12-02", (1, 1), "2026-01-01"),
    ("2026-01-01", (1, 1), "2026-01-01"),
    ("2026-02-28", (3, 1), "2025-03-01"),
])
def test_the_review_due_is_the_latest_review_day_on_or_before_today(today, review_day, expected):
    from datetime import date

    assert latest_review_day(date.fromisoformat(today), review_day) == date.fromisoformat(expected)


@pytest.mark.parametrize("raw", ["13-01", "02-29", "first of january", "1"])
def test_a_review_day_that_is_not_a_day_of_every_year_is_one_clear_line(monkeypatch, raw):
    from mileage.config import ConfigurationError
    from mileage.worker import settings_from

    monkeypatch.setenv("MILEAGE_TIER_REVIEW_DAY", raw)
    with pytest.raises(ConfigurationError, match="MILEAGE_TIER_REVIEW_DAY must be a day of the year written MM-DD"):
        settings_from({})


def test_a_site_visit_nobody_checked_out_of_is_flagged_by_the_worker_after_its_day(committed):
    from mileage.clock import seoul_today
    from mileage.models import SiteVisit

    engine, factory = committed

    def set_up(session):
        place = Factories(session).organisation()
        ids = []
        for days_ago in (1, 0):  # yesterday's visit is over; today's may still be going on
            card = Factories(session).card()
            visit = SiteVisit(volunteer_id=card.volunteer_id, card_id=card.id, organisation_id=place.id,
                              work_date=seoul_today() - timedelta(days=days_ago), category="복지",
                              checked_in_at=utc_now() - timedelta(days=days_ago))
            session.add(visit)
            session.flush()
            ids.append(visit.id)
        return ids

    yesterday, today = run_in_transaction(factory, set_up)
    assert run_job_once(engine, factory, {}, "flag-site-visits") == 0
    states = run_in_transaction(factory, lambda s: {v.id: v.state for v in s.scalars(select(SiteVisit))})
    assert states == {yesterday: "flagged", today: "open"}
    run = run_in_transaction(factory, lambda s: s.scalars(select(JobRun).where(JobRun.job == "flag-site-visits")).one())
    assert run.detail == {"flagged": 1}
