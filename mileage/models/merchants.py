"""Partner shops: their offers (versioned), terminals, redemptions, holds, refunds and settlement closures."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mileage.clock import utc_now
from mileage.db import Base, BigIntId, UTCDateTime
from mileage.models.people import Card

# Every day of the week, Monday = bit 0 ... Sunday = bit 6 (Python's weekday()).
ALL_WEEKDAYS = 0b1111111


class MerchantStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class HoldStatus(StrEnum):
    HELD = "held"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"


class PeriodKind(StrEnum):
    DAY = "day"
    MONTH = "month"


class Merchant(Base):
    """A partner shop in the district where volunteers spend points as discounts."""

    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # 사업자등록번호: ten digits, stored without dashes; its check digit is validated on entry.
    business_number: Mapped[str] = mapped_column(String(10), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str] = mapped_column(String(50), default="")
    contact: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default=MerchantStatus.PENDING)
    # The ledger account that collects the discounts redeemed here.
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class OfferVersion(Base):
    """One version of a shop's discount offer. A change adds a version; redemptions keep the one they used."""

    __tablename__ = "merchant_offers"
    __table_args__ = (
        UniqueConstraint("merchant_id", "version", name="uq_merchant_offers_merchant_id_version"),
        CheckConstraint("rate_bp > 0 AND rate_bp <= 10000", name="rate_in_range"),
        CheckConstraint("max_discount > 0", name="max_discount_positive"),
        CheckConstraint("min_purchase >= 0", name="min_purchase_not_negative"),
        CheckConstraint("weekdays > 0 AND weekdays <= 127", name="weekdays_in_range"),
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR (0 <= start_minute AND start_minute < end_minute"
            " AND end_minute <= 1440)",
            name="hours_in_range",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    version: Mapped[int] = mapped_column(Integer)
    # Basis points of the purchase: 500 is 5 %.
    rate_bp: Mapped[int] = mapped_column(Integer)
    max_discount: Mapped[int] = mapped_column(BigInteger)
    min_purchase: Mapped[int] = mapped_column(BigInteger, default=0)
    # When the offer applies, on the Seoul calendar: a weekday bitmask and optional minutes of the day.
    weekdays: Mapped[int] = mapped_column(Integer, default=ALL_WEEKDAYS)
    start_minute: Mapped[int | None] = mapped_column(Integer)
    end_minute: Mapped[int | None] = mapped_column(Integer)
    # The share of the bill points may pay (basis points; the NW rule is 1000, 10 %), and whether the
    # points must pay that whole discount or nothing (no partial payment).
    max_share_bp: Mapped[int | None] = mapped_column(Integer)
    no_partial_payment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class TierBenefit(Base):
    """A shop's discount for card holders of a minimum tier, with no points deducted; the latest row is in force."""

    __tablename__ = "tier_benefits"
    __table_args__ = (
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_in_range"),
        Index("ix_tier_benefits_merchant_id_id", "merchant_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    # 0 means the shop stopped giving a tier benefit.
    rate_bp: Mapped[int] = mapped_column(Integer)
    min_tier: Mapped[str] = mapped_column(String(30))
    max_benefit: Mapped[int | None] = mapped_column(BigInteger)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Terminal(Base):
    """A till or cashier of a shop, with its own API key id and hashed secret."""

    __tablename__ = "merchant_terminals"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    merchant: Mapped[Merchant] = relationship()


class TerminalSession(Base):
    """A signed-in counter page: a rotating, revocable session kept in an httpOnly cookie, never the secret.

    The browser holds `<id>.<secret>`; only the secret's argon2 hash is stored. Each refresh marks the
    session used and starts its successor in the same family; a used one presented again was copied,
    so the whole family ends.
    """

    __tablename__ = "terminal_sessions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("merchant_terminals.id"), index=True)
    family: Mapped[str] = mapped_column(String(64), index=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    # A session the cashier asked to keep ("기억하기") outlives the browser; others end with it.
    persistent: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    terminal: Mapped[Terminal] = relationship()


class Redemption(Base):
    """A discount granted at a shop: points moved from a card to the shop's account in one entry."""

    __tablename__ = "redemptions"
    __table_args__ = (
        CheckConstraint("discount > 0", name="discount_positive"),
        # The database itself refuses a refund past the discount, whatever the application does.
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= discount", name="refunds_within_discount"),
        Index("ix_redemptions_merchant_id_id", "merchant_id", "id"),
        Index("ix_redemptions_merchant_id_settlement_date", "merchant_id", "settlement_date"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    terminal_id: Mapped[int] = mapped_column(ForeignKey("merchant_terminals.id"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    offer_version_id: Mapped[int] = mapped_column(ForeignKey("merchant_offers.id"))
    # Set when the redemption is the capture of a two-phase hold.
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("redemption_holds.id"), unique=True)
    purchase_amount: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # Derived from the caller's Idempotency-Key: one request, one redemption.
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    # The Seoul day whose settlement this counts in: the day it happened, or the next open one.
    settlement_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    card: Mapped[Card] = relationship()
    offer: Mapped[OfferVersion] = relationship()
    terminal: Mapped[Terminal] = relationship()

    @property
    def refundable(self) -> int:
        """Return the points that can still be refunded."""
        return self.discount - self.refunded_amount

    @property
    def amount_to_pay(self) -> int:
        """Return what the customer pays after the discount."""
        return self.purchase_amount - self.discount


class Refund(Base):
    """Points given back for a redemption, all or part of it: shop account → card."""

    __tablename__ = "redemption_refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_redemption_refunds_merchant_id_id", "merchant_id", "id"),
        Index("ix_redemption_refunds_merchant_id_settlement_date", "merchant_id", "settlement_date"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemptions.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    terminal_id: Mapped[int] = mapped_column(ForeignKey("merchant_terminals.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    settlement_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    redemption: Mapped[Redemption] = relationship()


class Hold(Base):
    """A two-phase authorisation: points parked in the holds account until captured, voided or expired."""

    __tablename__ = "redemption_holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # The sweeper looks for live holds past their expiry.
        Index("ix_redemption_holds_status_expires_at", "status", "expires_at"),
        Index("ix_redemption_holds_merchant_id_id", "merchant_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    terminal_id: Mapped[int] = mapped_column(ForeignKey("merchant_terminals.id"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    offer_version_id: Mapped[int] = mapped_column(ForeignKey("merchant_offers.id"))
    purchase_amount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=HoldStatus.HELD)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    authorize_entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    # The entry that emptied the hold: its capture (with any rest returned) or its release.
    settle_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    card: Mapped[Card] = relationship()
    offer: Mapped[OfferVersion] = relationship()


class SettlementClosure(Base):
    """A shop's settlement period (a day or a month) that staff have closed: its figures never change."""

    __tablename__ = "settlement_closures"
    __table_args__ = (
        UniqueConstraint(
            "merchant_id", "period_kind", "period_start", name="uq_settlement_closures_merchant_id_period"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    period_kind: Mapped[str] = mapped_column(String(8))
    # The first day of the period: the day itself, or the 1st of the month.
    period_start: Mapped[date] = mapped_column(Date)
    closed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
