"""The history of a volunteer's tier changes, newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.models import TierChange


def tier_history(session: Session, volunteer_id: int, *, limit: int = 50) -> list[TierChange]:
    """Return a volunteer's latest tier changes, newest first."""
    return list(session.scalars(
        select(TierChange).where(TierChange.volunteer_id == volunteer_id).order_by(TierChange.id.desc()).limit(limit)
    ))
