"""How long the records that only serve security checks are kept, and pruning them.

The published retention periods (docs/operations.md repeats them):

- a used dynamic-QR token id: 1 day after the token expired (the token itself is refused once expired;
  the day covers clocks that disagree);
- an answer stored under an HTTP Idempotency-Key: 30 days after it was stored (docs/idempotency.md);
- a refresh token: 30 days after it expired (reuse of a rotated token is detected until it expires).

The ledger's own idempotency keys, the audit log and every journal entry are kept forever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mileage.clock import utc_now
from mileage.db import run_in_transaction
from mileage.models import IdempotentRequest, RefreshToken, UsedQrToken

USED_QR_TOKEN_RETENTION = timedelta(days=1)
IDEMPOTENT_ANSWER_RETENTION = timedelta(days=30)
REFRESH_TOKEN_RETENTION = timedelta(days=30)
# Rows deleted per transaction, so pruning a long backlog never holds locks for long.
PRUNE_BATCH = 1000


@dataclass
class PruneSummary:
    """How many rows of each kind a pruning run deleted."""

    used_qr_tokens: int = 0
    idempotent_requests: int = 0
    refresh_tokens: int = 0

    def as_dict(self) -> dict:
        """Return the counts as plain data."""
        return {
            "used_qr_tokens": self.used_qr_tokens,
            "idempotent_requests": self.idempotent_requests,
            "refresh_tokens": self.refresh_tokens,
        }


def _prune_batch(session: Session, model, key_column, age_column, cutoff: datetime) -> int:
    keys = list(session.scalars(select(key_column).where(age_column < cutoff).order_by(key_column).limit(PRUNE_BATCH)))
    if not keys:
        return 0
    session.execute(delete(model).where(key_column.in_(keys)).execution_options(synchronize_session=False))
    return len(keys)


def _prune_all(session_factory: Callable[[], Session], model, key_column, age_column, cutoff: datetime) -> int:
    total = 0
    while True:
        count = run_in_transaction(
            session_factory, lambda session: _prune_batch(session, model, key_column, age_column, cutoff)
        )
        total += count
        if count < PRUNE_BATCH:
            return total


def prune_expired_records(session_factory: Callable[[], Session], *, now: datetime | None = None) -> PruneSummary:
    """Delete used QR tokens, idempotency answers and refresh tokens past their retention; safe to rerun."""
    now = now or utc_now()
    return PruneSummary(
        used_qr_tokens=_prune_all(
            session_factory, UsedQrToken, UsedQrToken.jti, UsedQrToken.expires_at, now - USED_QR_TOKEN_RETENTION
        ),
        idempotent_requests=_prune_all(
            session_factory, IdempotentRequest, IdempotentRequest.id, IdempotentRequest.created_at,
            now - IDEMPOTENT_ANSWER_RETENTION,
        ),
        refresh_tokens=_prune_all(
            session_factory, RefreshToken, RefreshToken.id, RefreshToken.expires_at, now - REFRESH_TOKEN_RETENTION
        ),
    )
