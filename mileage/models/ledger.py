"""Double-entry ledger tables: accounts with stored balances, journal entries and their postings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mileage.clock import utc_now
from mileage.db import Base, BigIntId, UTCDateTime


class AccountKind(StrEnum):
    """What an account holds points for."""

    CARD = "card"
    ISSUANCE = "issuance"
    MERCHANT = "merchant"
    CAUSE = "cause"
    DISBURSED = "disbursed"
    EXPIRED = "expired"
    HOLDS = "holds"


# Issuance is the source of all points, so it is the only account whose balance runs negative.
MAY_GO_NEGATIVE = frozenset({AccountKind.ISSUANCE})



class EntryKind(StrEnum):
    """Why points moved: the kind every journal entry records, and what screens and reports label."""

    CLAIM_APPROVAL = "claim_approval"
    CLAIM_REVERSAL = "claim_reversal"
    REDEMPTION = "redemption"
    REDEMPTION_REFUND = "redemption_refund"
    HOLD = "hold"
    HOLD_CAPTURE = "hold_capture"
    HOLD_RELEASE = "hold_release"
    DONATION = "donation"
    DISBURSEMENT = "disbursement"
    EXPIRY = "expiry"
    EXPIRY_DONATION = "expiry_donation"
    CARD_REISSUE = "card_reissue"
    REVERSAL = "reversal"
    # A row that moves nothing: it records that its idempotency key was refused, for good.
    REFUSAL = "refusal"


class Account(Base):
    """A bucket of points whose stored balance always equals the sum of its postings."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("balance >= 0 OR kind = 'issuance'", name="balance_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # A stable human-readable name such as "issuance" or "card:9410123412341234".
    code: Mapped[str] = mapped_column(String(64), unique=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class JournalEntry(Base):
    """One movement of points: two or more postings that sum to zero. Never updated or deleted.

    A row of kind `EntryKind.REFUSAL` has no postings: its idempotency key was refused, for good.
    """

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Hash of the request that produced the entry, so a reused key with another request is refused.
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Words a person typed (a reason, a hand-over note); entries before 0010 kept an English sentence here.
    memo: Mapped[str] = mapped_column(Text, default="")
    # What the entry is about (shop, cause, claim, card, dates, note): rendered in the reader's language
    # by `ledger.memos.render_memo`, never stored as a sentence. None is SQL NULL, however the row is written.
    memo_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # Unique: an entry can be reversed at most once, and the database enforces it.
    reverses_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id"), unique=True
    )
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    # Set on refusal rows only: {"kind": what was asked, "code": the error, "params": its parameters}.
    refusal: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    postings: Mapped[list[Posting]] = relationship(
        back_populates="entry", order_by="Posting.id", lazy="selectin"
    )


class Posting(Base):
    """One side of an entry: a signed amount on one account and that account's balance after it."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        # History pages walk this index newest first; as-of reads seek the last posting before a time.
        Index("ix_postings_account_id_id", "account_id", "id"),
        Index("ix_postings_account_id_created_at", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")
