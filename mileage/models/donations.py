"""Donation causes, the donations made to them, bulk campaigns, disbursements, expiry preferences."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mileage.clock import SEOUL, utc_now
from mileage.db import Base, BigIntId, UTCDateTime
from mileage.models.people import Volunteer


class CauseStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class DonationChannel(StrEnum):
    """How a donation came about."""

    VOLUNTEER = "volunteer"  # the volunteer donated through the API or the mobile page
    STAFF = "staff"  # staff converted points on the volunteer's behalf, with recorded consent
    CAMPAIGN = "campaign"  # one volunteer's share of a bulk campaign
    EXPIRY = "expiry"  # points about to expire, donated because the volunteer opted in


class ConsentMethod(StrEnum):
    WRITTEN = "written"
    VERBAL = "verbal"
    APP = "app"


class CampaignState(StrEnum):
    READY = "ready"
    RUNNING = "running"
    COMPLETED = "completed"


class CampaignItemState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class Cause(Base):
    """A donation target, such as the district food bank; its collected points sit in its own account."""

    __tablename__ = "causes"
    __table_args__ = (CheckConstraint("target_points IS NULL OR target_points > 0", name="target_positive"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    receiving_organisation: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    target_points: Mapped[int | None] = mapped_column(BigInteger)
    # At most this many points a year (Seoul calendar) from one volunteer: Nowon's food market took 5,000.
    yearly_cap_per_volunteer: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=CauseStatus.ACTIVE)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Campaign(Base):
    """A bulk conversion of many volunteers' points into donations to one cause."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(
            "points_per_volunteer IS NULL OR points_per_volunteer > 0", name="points_per_volunteer_positive"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    cause_id: Mapped[int] = mapped_column(ForeignKey("causes.id"), index=True)
    # None donates each selected volunteer's whole balance at the moment their turn comes.
    points_per_volunteer: Mapped[int | None] = mapped_column(BigInteger)
    # The filter staff used, kept so that anyone can see later why these volunteers were picked.
    selection: Mapped[dict] = mapped_column(JSON)
    consent_method: Mapped[str] = mapped_column(String(16))
    consent_note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=CampaignState.READY)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff ask for a run; the background worker (or `mileage run-campaigns`) does it.
    run_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    run_requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cause: Mapped[Cause] = relationship()


class CampaignItem(Base):
    """One selected volunteer's turn in a campaign and its outcome."""

    __tablename__ = "campaign_items"
    __table_args__ = (
        UniqueConstraint("campaign_id", "volunteer_id", name="uq_campaign_items_campaign_id_volunteer_id"),
        # A run walks the pending items of its campaign in id order.
        Index("ix_campaign_items_campaign_id_state_id", "campaign_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    state: Mapped[str] = mapped_column(String(16), default=CampaignItemState.PENDING)
    points: Mapped[int | None] = mapped_column(BigInteger)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"), unique=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    # The error code of a skipped or failed item, such as insufficient_balance.
    reason: Mapped[str | None] = mapped_column(String(64))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship()


class Donation(Base):
    """Points a volunteer gave to a cause: one card → cause ledger entry, and its receipt."""

    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_donations_volunteer_id_id", "volunteer_id", "id"),
        Index("ix_donations_cause_id_id", "cause_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    cause_id: Mapped[int] = mapped_column(ForeignKey("causes.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # Consent, for donations made on the volunteer's behalf: how it was given and who witnessed it.
    consent_method: Mapped[str | None] = mapped_column(String(16))
    consent_note: Mapped[str] = mapped_column(Text, default="")
    witness_name: Mapped[str | None] = mapped_column(String(100))
    witness_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)

    volunteer: Mapped[Volunteer] = relationship()
    cause: Mapped[Cause] = relationship()

    @property
    def receipt_number(self) -> str:
        """Return the receipt number, e.g. D-2026-000123: the Seoul year, then the donation's own id.

        Derived from the primary key, so it is unique and never needs a counter row that every
        donation would have to lock.
        """
        return f"D-{self.created_at.astimezone(SEOUL).year}-{self.id:06d}"


class Disbursement(Base):
    """The centre handing over what a cause collected: one cause → disbursed ledger entry."""

    __tablename__ = "disbursements"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_disbursements_cause_id_id", "cause_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    cause_id: Mapped[int] = mapped_column(ForeignKey("causes.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(Text)
    # Where the evidence lives: a document number, a scan's file name, a folder reference.
    attachment_ref: Mapped[str] = mapped_column(String(300), default="")
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    cause: Mapped[Cause] = relationship()


class ExpiryDonationChoice(Base):
    """A volunteer's opt-in: points about to expire go to this cause instead of expiring."""

    __tablename__ = "expiry_donation_choices"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)
    cause_id: Mapped[int] = mapped_column(ForeignKey("causes.id"))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    cause: Mapped[Cause] = relationship()
