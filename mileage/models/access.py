"""Sign-in sessions, the staff audit log, and remembered responses to idempotent requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mileage.clock import utc_now
from mileage.db import Base, BigIntId, UTCDateTime


class RefreshToken(Base):
    """One refresh token; rotation marks it used and points at its successor."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    # Every token descended from one login shares a family; reuse of a rotated token revokes it.
    family: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """An append-only record of a state-changing staff action: who, what, when, from where."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))


class IdempotentRequest(Base):
    """The first response to a request sent with an Idempotency-Key, replayed to its retries."""

    __tablename__ = "idempotent_requests"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    # The caller's key, scoped by who sent it, so two callers cannot collide or read each other's.
    scoped_key: Mapped[str] = mapped_column(String(300), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)


class ConsoleSession(Base):
    """A staff member's sign-in to the console, so that signing out ends it on the server too.

    The browser's signed cookie holds a random token; only its SHA-256 is stored. A 256-bit random
    token needs no slow hash (nothing to guess), and the console checks it on every request.
    """

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
