"""Rotating tokens kept in the database (refresh tokens, counter-page sessions): each works once.

A token that comes back after it was used was copied, so the whole family it belongs to (one
sign-in) ends. A model used here has `id`, `family`, `used_at` and `revoked_at` columns.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import RefreshTokenReused


def use_once(session: Session, model: type, row, *, now: datetime) -> None:
    """Mark a stored token used; if it already was, end its family.

    :raises RefreshTokenReused: the token was used before.
    """
    # Conditional: of two refreshes racing with one token, only one rotates it.
    rotated = update_rows(session, model, model.id == row.id, model.used_at.is_(None), used_at=now)
    if rotated != 1:
        end_family(session, model, row.family)
        raise RefreshTokenReused()


def end_family(session: Session, model: type, family: str) -> None:
    """End every live token of one family."""
    update_rows(session, model, model.family == family, model.revoked_at.is_(None), revoked_at=utc_now())
