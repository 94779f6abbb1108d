"""The programme's rules as data: rule-set versions, each volunteer's earning state, card tiers and
their history, and the tier benefits used at shops."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mileage.clock import utc_now
from mileage.db import Base, BigIntId, UTCDateTime


class RuleSetVersion(Base):
    """One version of the programme's rules, in force from `effective_from` (a Seoul day) until the next one.

    Versions are never edited: a change is a new version. On a day, the version in force is the one with
    the latest `effective_from` not after it (the higher version number on the same date).
    """

    __tablename__ = "rule_sets"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    definition: Mapped[dict] = mapped_column(JSON)
    preset: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class VolunteerEarning(Base):
    """What a volunteer's certified claims have credited so far: the replay total last posted.

    Its row is locked (after the volunteer's) by every approval and reversal, so two of them can never
    both use the same remaining cap.
    """

    __tablename__ = "volunteer_earnings"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)
    credited_points: Mapped[int] = mapped_column(BigInteger, default=0)
    certified_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    # Point-minutes (points × 60) that did not make a whole point yet: paid by the next claim.
    carried_point_minutes: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class VolunteerTier(Base):
    """A volunteer's current card tier."""

    __tablename__ = "volunteer_tiers"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(30))
    # The tier's rank in its rule set (0 is the lowest): shop benefits compare ranks.
    rank: Mapped[int] = mapped_column(Integer, default=0)
    since: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class TierChange(Base):
    """One change of a volunteer's tier, with the reason."""

    __tablename__ = "tier_changes"
    __table_args__ = (Index("ix_tier_changes_volunteer_id_id", "volunteer_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    from_tier: Mapped[str | None] = mapped_column(String(30))
    to_tier: Mapped[str] = mapped_column(String(30))
    # "hours_reached", "hours_reversed", "yearly_review", "keep_condition_missed"
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict | None] = mapped_column(JSON)
    effective_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class BenefitUse(Base):
    """A tier discount given at a shop: recorded for statistics, moves no points, not a ledger entry."""

    __tablename__ = "benefit_uses"
    __table_args__ = (
        CheckConstraint("purchase_amount > 0", name="purchase_positive"),
        CheckConstraint("benefit_amount >= 0", name="benefit_not_negative"),
        Index("ix_benefit_uses_merchant_id_created_at", "merchant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    tier: Mapped[str] = mapped_column(String(30))
    rate_bp: Mapped[int] = mapped_column(Integer)
    purchase_amount: Mapped[int] = mapped_column(BigInteger)
    benefit_amount: Mapped[int] = mapped_column(BigInteger)
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
