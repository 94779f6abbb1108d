"""Organisations where volunteering happens, and the hours claimed there."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mileage.clock import utc_now
from mileage.db import Base, BigIntId, UTCDateTime
from mileage.models.people import Volunteer


class ClaimState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVERSED = "reversed"


class Organisation(Base):
    """A place where volunteers work: a welfare centre, a library, a school."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Claim(Base):
    """Hours a volunteer worked at an organisation on one Seoul calendar day."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="times_within_day",
        ),
        Index("ix_claims_volunteer_id_work_date", "volunteer_id", "work_date"),
        Index("ix_claims_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    work_date: Mapped[date] = mapped_column(Date)
    # Minutes since local midnight; a claim never crosses midnight.
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(50))
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=ClaimState.SUBMITTED)
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    reviewed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    points: Mapped[int | None] = mapped_column(Integer)
    approval_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    reversal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    unrecovered_points: Mapped[int | None] = mapped_column(Integer)
    # Set at approval from the replay of the volunteer's certified minutes (mileage/programme/earnings.py):
    # the minutes the rule set recognised, the points a cap withheld and which cap, the version that paid.
    recognised_minutes: Mapped[int | None] = mapped_column(Integer)
    withheld_points: Mapped[int | None] = mapped_column(Integer)
    withheld_by: Mapped[str | None] = mapped_column(String(20))
    rule_set_version: Mapped[int | None] = mapped_column(Integer)
    # Set at reversal: the points the reversal had to take back (what the claim made the total differ by).
    reversal_points: Mapped[int | None] = mapped_column(Integer)

    volunteer: Mapped[Volunteer] = relationship()
    organisation: Mapped[Organisation] = relationship()

    @property
    def minutes(self) -> int:
        """Return the length of the claim in minutes."""
        return self.end_minute - self.start_minute


class ClaimBatch(Base):
    """Claims approved together from the console, so the whole batch can be undone for a short while."""

    __tablename__ = "claim_batches"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    claim_count: Mapped[int] = mapped_column(Integer)
    total_points: Mapped[int] = mapped_column(Integer)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    items: Mapped[list[ClaimBatchItem]] = relationship(order_by="ClaimBatchItem.claim_id")


class ClaimBatchItem(Base):
    """One claim of an approval batch."""

    __tablename__ = "claim_batch_items"

    batch_id: Mapped[int] = mapped_column(ForeignKey("claim_batches.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True, index=True)
