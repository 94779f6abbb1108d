"""Approval batches: the claims a staff member approved together, and undoing the whole batch for a while.

An undo is a reversal of each claim of the batch (the ledger keeps both entries), audited like any
reversal, plus one audit event for the batch. It is offered for a short time only: after that a
claim is reversed on its own, with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.claims import review
from mileage.claims.rules import DEFAULT_POLICY, ClaimPolicy
from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import ClaimBatchAlreadyUndone, ClaimBatchNotFound, ClaimBatchUndoExpired, DomainError
from mileage.models import Claim, ClaimBatch, ClaimBatchItem

UNDO_WINDOW = timedelta(minutes=15)


@dataclass
class BatchApproval:
    """What approving a batch did: the batch (None when nothing was approved), the approved, the refused."""

    batch: ClaimBatch | None
    approved: list[Claim] = field(default_factory=list)
    failed: dict[int, DomainError] = field(default_factory=dict)

    @property
    def total_points(self) -> int:
        return sum(claim.points or 0 for claim in self.approved)


def approve_batch(
    session: Session, claim_ids: Iterable[int], *, actor: Actor, policy: ClaimPolicy = DEFAULT_POLICY
) -> BatchApproval:
    """Approve claims together (each on its own, a bad one reported) and remember them as one batch."""
    result = review.approve_claims(session, claim_ids, actor=actor, policy=policy)
    outcome = BatchApproval(batch=None, approved=result.approved, failed=result.failed)
    if not result.approved:
        return outcome
    batch = ClaimBatch(
        approved_by_user_id=actor.user_id, approved_at=utc_now(),
        claim_count=len(result.approved), total_points=outcome.total_points,
    )
    session.add(batch)
    session.flush()
    session.add_all(ClaimBatchItem(batch_id=batch.id, claim_id=claim.id) for claim in result.approved)
    session.flush()
    record_audit(
        session, actor, "claims.approve_batch", target_type="claim_batch", target_id=batch.id,
        after={"claim_ids": [claim.id for claim in result.approved], "total_points": batch.total_points,
               "failed": sorted(result.failed)},
    )
    outcome.batch = batch
    return outcome


def get_batch(session: Session, batch_id: int) -> ClaimBatch:
    """Return an approval batch.

    :raises ClaimBatchNotFound:
    """
    batch = session.get(ClaimBatch, batch_id)
    if batch is None:
        raise ClaimBatchNotFound(batch_id=batch_id)
    return batch


def undo_deadline(batch: ClaimBatch):
    """Return until when a batch can be undone as a whole."""
    return batch.approved_at + UNDO_WINDOW


@dataclass
class BatchUndo:
    """What undoing a batch did: the reversed claims, the points recovered and not, the claims left alone."""

    batch: ClaimBatch
    reversed: list[Claim] = field(default_factory=list)
    skipped: dict[int, DomainError] = field(default_factory=dict)

    @property
    def recovered_points(self) -> int:
        return sum(review.recovered_points(claim) or 0 for claim in self.reversed)

    @property
    def unrecovered_points(self) -> int:
        return sum(claim.unrecovered_points or 0 for claim in self.reversed)


def undo_batch(session: Session, batch_id: int, *, actor: Actor, reason: str = "") -> BatchUndo:
    """Reverse every claim of a recent batch that is still approved; audited per claim and for the batch.

    :raises ClaimBatchNotFound:
    :raises ClaimBatchAlreadyUndone:
    :raises ClaimBatchUndoExpired:
    """
    batch = get_batch(session, batch_id)
    # Conditional: of two undos of one batch, only one goes ahead.
    now = utc_now()
    if batch.undone_at is not None:
        raise ClaimBatchAlreadyUndone(batch_id=batch_id)
    if now > undo_deadline(batch):
        raise ClaimBatchUndoExpired(batch_id=batch_id, minutes=int(UNDO_WINDOW.total_seconds() // 60))
    claimed = update_rows(
        session, ClaimBatch, ClaimBatch.id == batch.id, ClaimBatch.undone_at.is_(None),
        undone_at=now, undone_by_user_id=actor.user_id,
    )
    if claimed != 1:
        raise ClaimBatchAlreadyUndone(batch_id=batch_id)
    session.refresh(batch)
    outcome = BatchUndo(batch=batch)
    memo = reason or f"undo of approval batch {batch.id}"
    for item in batch.items:
        try:
            with session.begin_nested():
                outcome.reversed.append(review.reverse_claim(session, item.claim_id, actor=actor, reason=memo))
        except DomainError as error:
            outcome.skipped[item.claim_id] = error
    record_audit(
        session, actor, "claims.undo_batch", target_type="claim_batch", target_id=batch.id,
        after={"reversed": [claim.id for claim in outcome.reversed], "skipped": sorted(outcome.skipped),
               "recovered_points": outcome.recovered_points, "unrecovered_points": outcome.unrecovered_points},
    )
    return outcome
