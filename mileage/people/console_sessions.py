"""Console sign-ins kept on the server: signing out ends one for good, even in a copied cookie."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.models import ConsoleSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_console_sign_in(session: Session, user_id: int) -> str:
    """Record a new console sign-in and return the token its cookie carries."""
    token = secrets.token_urlsafe(32)
    session.add(ConsoleSession(token_hash=_digest(token), user_id=user_id, started_at=utc_now()))
    session.flush()
    return token


def console_sign_in_is_live(session: Session, user_id: int, token: str | None) -> bool:
    """Tell whether a cookie's sign-in is still one the server knows and has not ended."""
    if not token:
        return False
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))
    return row is not None and row.user_id == user_id and row.ended_at is None


def end_console_sign_in(session: Session, token: str | None) -> None:
    """End a console sign-in (sign-out): its cookie, and any copy of it, stops working."""
    if not token:
        return
    update_rows(
        session, ConsoleSession, ConsoleSession.token_hash == _digest(token), ConsoleSession.ended_at.is_(None),
        ended_at=utc_now(),
    )


def end_console_sign_ins_of(session: Session, user_id: int) -> int:
    """End every console sign-in of a user (disabled, password reset); return how many."""
    return update_rows(
        session, ConsoleSession, ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None),
        ended_at=utc_now(),
    )
