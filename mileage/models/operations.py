"""What the background worker leaves behind: who holds the worker lease, and how each job run ended."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mileage.clock import utc_now
from mileage.db import Base, BigIntId, UTCDateTime


class JobStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    # The job ran and found something wrong (the invariant check): an operator must look.
    ALERT = "alert"
    FAILED = "failed"


class WorkerLease(Base):
    """The one row a worker holds while it runs jobs, so that a second worker started by mistake waits.

    PostgreSQL also holds an advisory lock for the worker's whole life; on SQLite this row is the lock.
    A lease whose holder stopped renewing it (killed, machine gone) can be taken over once it expires.
    """

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    host: Mapped[str] = mapped_column(String(128))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobRun(Base):
    """One run of one scheduled job: when, how it ended, and what it did (for the console and monitoring)."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str] = mapped_column(String(128), default="")
    detail: Mapped[dict | None] = mapped_column(JSON)
