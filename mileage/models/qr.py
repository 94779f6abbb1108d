"""Dynamic QR tokens that have been used; a token's id can be stored here only once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mileage.clock import utc_now
from mileage.db import Base, UTCDateTime


class UsedQrToken(Base):
    """A spent dynamic-QR token id. Rows past `expires_at` can be pruned: the JWT itself has expired."""

    __tablename__ = "used_qr_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
