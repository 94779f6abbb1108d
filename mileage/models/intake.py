"""How hours arrive from the field: uploaded spreadsheets, site check-ins (and the site devices that
scan them), and the certificates of hours that go back out."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mileage.clock import utc_now
from mileage.db import Base, BigIntId, UTCDateTime
from mileage.models.claims import Organisation
from mileage.models.people import Volunteer


class ClaimImportState(StrEnum):
    PREVIEWED = "previewed"
    CONFIRMED = "confirmed"


class ClaimImport(Base):
    """An uploaded file of hours: previewed first, its claims created only when confirmed (once)."""

    __tablename__ = "claim_imports"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    file_format: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # The organisation rows without one are for, and the one a coordinator's upload is confined to.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    organisation_scope: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    state: Mapped[str] = mapped_column(String(16), default=ClaimImportState.PREVIEWED)
    confirmed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the confirmation did: counts and the claim ids it created.
    result: Mapped[dict | None] = mapped_column(JSON)


class SiteDevice(Base):
    """A tablet at a volunteering site that may check volunteers in and out for its organisation."""

    __tablename__ = "site_devices"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()


class SiteVisitState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    # Left open past the end of its day: the coordinator must give the times; never paid as is.
    FLAGGED = "flagged"


class SiteVisit(Base):
    """A volunteer checked in at a site; checking out turns it into a submitted claim."""

    __tablename__ = "site_visits"
    __table_args__ = (
        # One open visit per volunteer, wherever it is.
        Index(
            "uq_site_visits_one_open_per_volunteer",
            "volunteer_id",
            unique=True,
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
        Index("ix_site_visits_organisation_id_work_date", "organisation_id", "work_date"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    work_date: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(50))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=SiteVisitState.OPEN)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    # The claim's minutes when a check-out could not become a claim (a rule refused it).
    refusal_code: Mapped[str | None] = mapped_column(String(64))
    checked_in_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_in_by_device_id: Mapped[int | None] = mapped_column(ForeignKey("site_devices.id"))

    volunteer: Mapped[Volunteer] = relationship()


class CertificateState(StrEnum):
    VALID = "valid"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


class Certificate(Base):
    """A certificate of hours (자원봉사 확인서): a frozen copy of a period's approved hours."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(100))
    centre_name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    total_minutes: Mapped[int] = mapped_column(Integer)
    # One item per approved claim: date, organisation, category, start, end, minutes.
    activities: Mapped[list] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    issued_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default=CertificateState.VALID)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
