"""Volunteers, their cards, and the users who sign in."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mileage.clock import utc_now
from mileage.db import Base, BigIntId, UTCDateTime


class VolunteerStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class CardStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"
    BLOCKED = "blocked"
    REPLACED = "replaced"


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    MERCHANT = "merchant"
    COORDINATOR = "coordinator"
    STAFF = "staff"
    ADMIN = "admin"
    AUDITOR = "auditor"


class Volunteer(Base):
    """A person whose approved hours become points."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    # The national volunteer portal (1365) id, when the volunteer has one.
    portal_1365_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=VolunteerStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    cards: Mapped[list[Card]] = relationship(back_populates="volunteer", order_by="Card.id")

    @property
    def masked_name(self) -> str:
        """Return the name as shops may see it: 김민수 → 김*수, 이준 → 이*."""
        if len(self.name) <= 1:
            return self.name
        if len(self.name) == 2:
            return self.name[0] + "*"
        return self.name[0] + "*" * (len(self.name) - 2) + self.name[-1]


class Card(Base):
    """A mileage card; its points live in its own ledger account."""

    __tablename__ = "cards"
    __table_args__ = (
        # A volunteer holds at most one active card at a time.
        Index(
            "uq_cards_one_active_per_volunteer",
            "volunteer_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=CardStatus.ACTIVE)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked: Mapped[bool] = mapped_column(default=False)
    replaced_by_card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    volunteer: Mapped[Volunteer] = relationship(back_populates="cards")

    @property
    def masked_number(self) -> str:
        """Return the number with only the last four digits visible."""
        return "**** **** **** " + self.number[-4:]


class User(Base):
    """Someone who signs in: staff, admins, auditors, coordinators, volunteers."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    # A coordinator belongs to one organisation; a volunteer user to one volunteer.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set when an admin resets the password: the user must choose their own at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
