"""The background worker: the centre's scheduled work, on Asia/Seoul time, in one long-running process.

| job | when (Seoul) | what |
|---|---|---|
| release-holds | every minute | return the points of partner-shop holds past their expiry |
| run-campaigns | every 15 seconds | run the donation campaigns staff asked for (progress shows in the console) |
| expire-points | daily 00:10 | expire points credited N years ago (opted-in points are donated) |
| prune | daily 03:30 | delete used QR tokens, idempotency answers, refresh tokens past their retention |
| invariant-check | daily 02:00 | check the ledger; a broken invariant is logged as an alert and recorded |
| flag-site-visits | daily 00:20 | flag the site check-ins still open after their Seoul day (staff review them) |
| review-tiers | daily 00:30 | the yearly tier review, once for each review day (1 January by default) |

Every job is idempotent and commits as it goes (one transaction per hold batch, volunteer or campaign
item), so a worker killed with SIGKILL loses nothing: the next run carries on where it stopped.

Only one worker runs jobs at a time. It holds a lease: on PostgreSQL an advisory lock on a connection
of its own (released by the server the moment the process dies) plus the `worker_leases` row; on
SQLite the row alone, renewed every few seconds and taken over once it expires or its holder's
process is gone. A second worker started by mistake waits on standby and takes over if the first
stops. Each run is recorded in `job_runs`; `mileage jobs` and GET /healthz/jobs report them.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mileage.audit import SYSTEM_ACTOR
from mileage.clock import SEOUL, seoul_today, utc_now
from mileage.db import run_in_transaction, update_rows
from mileage.models import JobRun, JobStatus, WorkerLease
from mileage.tiers.review import DEFAULT_REVIEW_DAY, latest_review_day, review_tiers

log = logging.getLogger("mileage.worker")

LEASE_NAME = "worker"
# Any 64-bit number that nothing else on the server uses: "mileage\0" in ASCII.
ADVISORY_LOCK_KEY = 0x6D696C6561676500


@dataclass(frozen=True)
class WorkerSettings:
    """How the worker paces itself; all of it comes from the environment (see `settings_from`)."""

    lease_seconds: int = 60
    renew_seconds: int = 10
    standby_poll_seconds: int = 10
    campaign_poll_seconds: int = 15
    hold_batch: int = 100
    expiry_years: int = 5
    tier_review_day: tuple[int, int] = DEFAULT_REVIEW_DAY
    # A job whose last successful run is older than this makes /healthz/jobs unhealthy.
    stale_after_hours: int = 26


def settings_from(config) -> WorkerSettings:
    """Read the worker settings from the app configuration and the environment.

    :raises ConfigurationError: a setting that is not a whole number in range (named).
    """
    from mileage.config import environment_integer

    number = environment_integer
    environ = os.environ
    lease = number(environ, "MILEAGE_WORKER_LEASE_SECONDS", 60, minimum=2, maximum=3600)
    return WorkerSettings(
        lease_seconds=lease,
        renew_seconds=max(1, lease // 4),
        standby_poll_seconds=number(environ, "MILEAGE_WORKER_STANDBY_SECONDS", min(10, lease), minimum=1),
        campaign_poll_seconds=number(environ, "MILEAGE_WORKER_CAMPAIGN_POLL_SECONDS", 15, minimum=1, maximum=3600),
        hold_batch=number(environ, "MILEAGE_WORKER_HOLD_BATCH", 100, minimum=1, maximum=10_000),
        expiry_years=int(config.get("EXPIRY_YEARS", 5)),
        tier_review_day=_month_day(environ, "MILEAGE_TIER_REVIEW_DAY", DEFAULT_REVIEW_DAY),
    )


def _month_day(environ, name: str, default: tuple[int, int]) -> tuple[int, int]:
    """Read a day of the year written MM-DD.

    :raises ConfigurationError: not a real day of every year (29 February is refused).
    """
    from mileage.config import ConfigurationError

    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        month, day = (int(part) for part in raw.split("-"))
        date(2001, month, day)  # a year without 29 February
    except ValueError:
        message = f"{name} must be a day of the year written MM-DD (e.g. 01-01), got {raw[:20]!r}"
        raise ConfigurationError(message) from None
    return month, day


# --- the jobs ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobOutcome:
    """What a job did; `alert` says an operator must look (the run is recorded as an alert)."""

    detail: dict
    alert: bool = False


def release_holds_job(session_factory, settings: WorkerSettings) -> JobOutcome:
    """Release every partner-shop hold past its expiry."""
    from mileage.shops.holds import release_all_expired_holds

    return JobOutcome({"released": release_all_expired_holds(session_factory, batch=settings.hold_batch)})


def run_campaigns_job(session_factory, settings: WorkerSettings) -> JobOutcome:
    """Run or resume every campaign that staff asked to run, oldest request first.

    A campaign the rules refuse (its cause was closed meanwhile) is reported and skipped, so that it
    never holds up the campaigns behind it; it stays requested until staff act on it.
    """
    from mileage.donations.campaigns import requested_campaign_ids, run_campaign
    from mileage.errors import DomainError

    results = []
    for campaign_id in run_in_transaction(session_factory, requested_campaign_ids):
        try:
            progress = run_campaign(session_factory, campaign_id, actor=SYSTEM_ACTOR)
        except DomainError as error:
            log.warning("campaign refused", extra={"campaign_id": campaign_id, "code": error.code})
            results.append({"campaign_id": campaign_id, "refused": error.code})
            continue
        results.append({"campaign_id": progress.campaign.id, "state": str(progress.campaign.state),
                        **progress.counts})
    return JobOutcome({"campaigns": results})


def expire_points_job(session_factory, settings: WorkerSettings) -> JobOutcome:
    """Expire the points due as of today (Seoul); rerunning the same day posts nothing."""
    from mileage.expiry import run_expiry

    return JobOutcome(run_expiry(session_factory, as_of=seoul_today(), years=settings.expiry_years).as_dict())


def flag_site_visits_job(session_factory, settings: WorkerSettings) -> JobOutcome:
    """Flag every site visit still open after its Seoul day ended: nobody checked out, staff must look."""
    from mileage.claims.visits import flag_stale_visits

    return JobOutcome({"flagged": run_in_transaction(session_factory, flag_stale_visits)})


def review_tiers_job(session_factory, settings: WorkerSettings) -> JobOutcome:
    """Hold the yearly tier review once for its review day, or as soon after it as a worker runs.

    A review that runs late is held as of the day it runs, never of the day it missed: the tiers
    that approvals have moved since then stay as they are.
    """
    today = seoul_today()
    due = latest_review_day(today, settings.tier_review_day).isoformat()
    last = run_in_transaction(session_factory, lambda session: session.scalar(
        select(JobRun.detail).where(JobRun.job == "review-tiers", JobRun.status == str(JobStatus.OK))
        .order_by(JobRun.id.desc()).limit(1)
    ))
    if last and last.get("review_of") == due:
        return JobOutcome({"review_of": due, "already_held": True})
    moves = run_in_transaction(session_factory, lambda session: review_tiers(session, as_of=today, actor=SYSTEM_ACTOR))
    return JobOutcome({"review_of": due, "as_of": today.isoformat(), "changes": len(moves)})


def prune_job(session_factory, settings: WorkerSettings) -> JobOutcome:
    """Delete records past their published retention."""
    from mileage.retention import prune_expired_records

    return JobOutcome(prune_expired_records(session_factory).as_dict())


def invariant_check_job(session_factory, settings: WorkerSettings) -> JobOutcome:
    """Check every ledger invariant; anything broken is an alert."""
    from mileage.ledger import check_invariants

    session = session_factory()
    try:
        report = check_invariants(session)
    finally:
        session.close()
    return JobOutcome(report.as_dict(), alert=not report.ok)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[..., JobOutcome]
    # APScheduler trigger arguments, in Asia/Seoul time.
    trigger: str
    trigger_args: dict


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("release-holds", release_holds_job, "interval", {"minutes": 1}),
        Job("run-campaigns", run_campaigns_job, "interval", {}),  # seconds from the settings
        Job("expire-points", expire_points_job, "cron", {"hour": 0, "minute": 10}),
        Job("prune", prune_job, "cron", {"hour": 3, "minute": 30}),
        Job("invariant-check", invariant_check_job, "cron", {"hour": 2, "minute": 0}),
        Job("flag-site-visits", flag_site_visits_job, "cron", {"hour": 0, "minute": 20}),
        Job("review-tiers", review_tiers_job, "cron", {"hour": 0, "minute": 30}),
    )
}
# Jobs whose last run must have succeeded recently for /healthz/jobs to be healthy.
DAILY_JOBS = ("expire-points", "prune", "invariant-check", "flag-site-visits", "review-tiers")


def execute_job(session_factory, job: Job, settings: WorkerSettings, *, worker: str) -> JobRun:
    """Run one job and record how it ended in `job_runs`; never raises (a failure is recorded)."""
    run_id = run_in_transaction(session_factory, lambda session: _start_run(session, job.name, worker))
    try:
        outcome = job.run(session_factory, settings)
    except Exception as error:  # noqa: BLE001 - every failure is recorded and logged, the worker goes on
        log.exception("job failed", extra={"job": job.name, "run_id": run_id})
        detail = {"error": type(error).__name__, "message": str(error)[:500]}
        return run_in_transaction(session_factory, lambda s: _finish_run(s, run_id, JobStatus.FAILED, detail))
    status = JobStatus.ALERT if outcome.alert else JobStatus.OK
    if outcome.alert:
        log.error("ALERT: job found a problem", extra={"job": job.name, "run_id": run_id, "alert": job.name,
                                                      "detail": outcome.detail})
    else:
        log.info("job finished", extra={"job": job.name, "run_id": run_id, "detail": outcome.detail})
    return run_in_transaction(session_factory, lambda s: _finish_run(s, run_id, status, outcome.detail))


def _start_run(session: Session, job: str, worker: str) -> int:
    run = JobRun(job=job, status=str(JobStatus.RUNNING), worker=worker, started_at=utc_now())
    session.add(run)
    session.flush()
    return run.id


def _finish_run(session: Session, run_id: int, status: JobStatus, detail: dict) -> JobRun:
    run = session.get(JobRun, run_id)
    run.status = str(status)
    run.finished_at = utc_now()
    run.detail = detail
    session.flush()
    session.expunge(run)
    return run


# --- the lease --------------------------------------------------------------------------------

def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkerLeaseHolder:
    """The worker's claim to run jobs: an advisory lock (PostgreSQL) and a lease row renewed in time."""

    def __init__(self, engine: Engine, session_factory, settings: WorkerSettings):
        self.engine = engine
        self.session_factory = session_factory
        self.settings = settings
        self.host = socket.gethostname()[:128]
        self.pid = os.getpid()
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self._lock_connection = None

    def try_acquire(self) -> bool:
        """Take the lease if no live worker holds it; True when this worker now holds it."""
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            got = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()
            if not got:
                connection.close()
                return False
            self._lock_connection = connection
        taken = run_in_transaction(self.session_factory, self._claim_row)
        if not taken:
            self._release_lock_connection()
            return False
        # Runs that a killed worker left "running" ended with it.
        run_in_transaction(self.session_factory, self._close_interrupted_runs)
        return True

    def _claim_row(self, session: Session) -> bool:
        now = utc_now()
        expires = now + timedelta(seconds=self.settings.lease_seconds)
        lease = session.scalar(select(WorkerLease).where(WorkerLease.name == LEASE_NAME).with_for_update())
        if lease is None:
            session.add(WorkerLease(name=LEASE_NAME, holder=self.holder, host=self.host, pid=self.pid,
                                    acquired_at=now, renewed_at=now, expires_at=expires))
            session.flush()
            return True
        holder_gone = lease.host == self.host and not _process_alive(lease.pid)
        # On PostgreSQL the advisory lock already proves that no other worker is alive.
        if self._lock_connection is None and lease.expires_at > now and not holder_gone:
            return False
        lease.holder, lease.host, lease.pid = self.holder, self.host, self.pid
        lease.acquired_at = lease.renewed_at = now
        lease.expires_at = expires
        session.flush()
        return True

    def _close_interrupted_runs(self, session: Session) -> None:
        update_rows(
            session, JobRun, JobRun.status == str(JobStatus.RUNNING),
            status=str(JobStatus.FAILED),
            finished_at=utc_now(),
            detail={"error": "interrupted", "message": "the worker stopped during this run"},
        )

    def renew(self) -> bool:
        """Extend the lease; False when it was lost (another worker took it, or the lock connection died)."""
        if self._lock_connection is not None:
            try:
                self._lock_connection.scalar(text("SELECT 1"))
                self._lock_connection.commit()
            except SQLAlchemyError:
                return False

        def extend(session: Session) -> int:
            now = utc_now()
            return update_rows(
                session, WorkerLease, WorkerLease.name == LEASE_NAME, WorkerLease.holder == self.holder,
                renewed_at=now, expires_at=now + timedelta(seconds=self.settings.lease_seconds),
            )

        try:
            return run_in_transaction(self.session_factory, extend) == 1
        except SQLAlchemyError:
            log.warning("could not renew the worker lease", exc_info=True)
            return False

    def release(self) -> None:
        """Give the lease up so that a standby worker can take over at once."""
        try:
            run_in_transaction(self.session_factory, lambda session: update_rows(
                session, WorkerLease, WorkerLease.name == LEASE_NAME, WorkerLease.holder == self.holder,
                expires_at=utc_now(),
            ))
        except SQLAlchemyError:
            log.warning("could not release the worker lease", exc_info=True)
        self._release_lock_connection()

    def _release_lock_connection(self) -> None:
        # A session-level advisory lock outlives a connection returned to the pool: unlock it, and if
        # that fails throw the connection away so that the server ends the session and its lock.
        connection, self._lock_connection = self._lock_connection, None
        if connection is None:
            return
        try:
            connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()
        except SQLAlchemyError:
            connection.invalidate()
        finally:
            connection.close()


# --- running ----------------------------------------------------------------------------------

def run_job_once(engine: Engine, session_factory, config, job_name: str) -> int:
    """Run one job now (for cron-style monitoring) and return an exit status: 0 ok, 3 alert, 1 failed."""
    settings = settings_from(config)
    run = execute_job(session_factory, JOBS[job_name], settings, worker=f"{socket.gethostname()}:{os.getpid()}:once")
    return {str(JobStatus.OK): 0, str(JobStatus.ALERT): 3}.get(run.status, 1)


def run_worker(engine: Engine, session_factory, config, *, stop: threading.Event | None = None) -> int:
    """Hold the lease (waiting on standby while another worker holds it) and run the jobs on schedule.

    Returns when stopped (SIGTERM, SIGINT, or `stop` set): 0, or 1 if the lease was lost.
    """
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = settings_from(config)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    lease = WorkerLeaseHolder(engine, session_factory, settings)
    announced = False
    while not stop.is_set():
        try:
            if lease.try_acquire():
                break
        except SQLAlchemyError:
            log.warning("cannot reach the database to take the worker lease; retrying", exc_info=True)
        if not announced:
            log.info("another worker holds the lease; standing by", extra={"worker": lease.holder})
            announced = True
        stop.wait(settings.standby_poll_seconds)
    if stop.is_set():
        return 0
    log.info("worker holds the lease; starting jobs", extra={"worker": lease.holder})

    scheduler = BackgroundScheduler(
        timezone=SEOUL,
        # One thread per job at most, so a long campaign never delays the release of holds.
        executors={"default": ThreadPoolExecutor(max_workers=len(JOBS))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for job in JOBS.values():
        trigger_args = dict(job.trigger_args)
        if job.name == "run-campaigns":
            trigger_args["seconds"] = settings.campaign_poll_seconds
        scheduler.add_job(
            execute_job, job.trigger, id=job.name, name=job.name, args=[session_factory, job, settings],
            kwargs={"worker": lease.holder}, **trigger_args,
        )
    lost = threading.Event()

    def renew() -> None:
        if not lease.renew():
            log.error("ALERT: the worker lost its lease; stopping", extra={"worker": lease.holder})
            lost.set()
            stop.set()

    scheduler.add_job(renew, "interval", id="renew-lease", seconds=settings.renew_seconds)
    scheduler.start()
    # The frequent jobs run at once too, not a minute or a poll after start; so does a daily job that
    # has not succeeded for a day (the worker was down at its hour), rather than wait for tomorrow.
    for name in ("release-holds", "run-campaigns", *overdue_daily_jobs(session_factory)):
        scheduler.modify_job(name, next_run_time=utc_now())
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        if not lost.is_set():
            lease.release()
    log.info("worker stopped", extra={"worker": lease.holder})
    return 1 if lost.is_set() else 0


def overdue_daily_jobs(session_factory, *, hours: int = 24) -> list[str]:
    """Return the daily jobs without a successful run in the last `hours` hours."""
    since = utc_now() - timedelta(hours=hours)

    def overdue(session: Session) -> list[str]:
        recent = set(session.scalars(
            select(JobRun.job).where(JobRun.status == str(JobStatus.OK), JobRun.started_at >= since)
        ))
        return [name for name in DAILY_JOBS if name not in recent]

    return run_in_transaction(session_factory, overdue)


# --- what monitoring reads --------------------------------------------------------------------

@dataclass(frozen=True)
class JobsHealth:
    """The worker's lease and each job's latest run; `healthy` is what monitoring alerts on."""

    lease: dict | None
    jobs: dict
    problems: list

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"healthy": self.healthy, "problems": self.problems, "lease": self.lease, "jobs": self.jobs}


def jobs_health(session: Session, *, stale_after_hours: int = 26) -> JobsHealth:
    """Report the worker's lease and the latest run of every job, and what an operator must look at."""
    now = utc_now()
    problems = []
    lease_row = session.get(WorkerLease, LEASE_NAME)
    lease = None
    if lease_row is None:
        problems.append("no worker has ever run: start `mileage worker`")
    else:
        lease = {"holder": lease_row.holder, "renewed_at": lease_row.renewed_at.isoformat(),
                 "expires_at": lease_row.expires_at.isoformat(), "alive": lease_row.expires_at > now}
        if lease_row.expires_at <= now:
            problems.append("the worker is not running (its lease expired)")
    jobs = {}
    for name in JOBS:
        latest = session.scalar(select(JobRun).where(JobRun.job == name).order_by(JobRun.id.desc()).limit(1))
        if latest is None:
            jobs[name] = None
            continue
        jobs[name] = {"status": latest.status, "started_at": latest.started_at.isoformat(),
                      "finished_at": latest.finished_at.isoformat() if latest.finished_at else None}
        if latest.status in (JobStatus.ALERT, JobStatus.FAILED):
            problems.append(f"{name}: last run {latest.status}")
    for name in DAILY_JOBS:
        last_ok = session.scalar(
            select(JobRun.finished_at).where(JobRun.job == name, JobRun.status == str(JobStatus.OK))
            .order_by(JobRun.id.desc()).limit(1)
        )
        if lease_row is not None and lease_row.acquired_at < now - timedelta(hours=stale_after_hours) and (
            last_ok is None or last_ok < now - timedelta(hours=stale_after_hours)
        ):
            problems.append(f"{name}: no successful run in {stale_after_hours} hours")
    return JobsHealth(lease=lease, jobs=jobs, problems=problems)
