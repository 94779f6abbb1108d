"""Disbursements: the centre hands a cause's collected points over (`cause → disbursed`), never more than it holds."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.donations.causes import get_cause
from mileage.errors import (
    DisbursementExceedsBalance,
    DisbursementMemoRequired,
    InsufficientBalance,
    InvalidAmount,
)
from mileage.ledger import system_account, transfer
from mileage.models import (
    AccountKind,
    Disbursement,
    EntryKind,
)
from mileage.pagination import Page, fetch_page


def record_disbursement(
    session: Session,
    *,
    cause_id: int,
    points: int,
    memo: str,
    attachment_ref: str = "",
    actor: Actor,
    idempotency_key: str | None = None,
) -> Disbursement:
    """Record the centre handing a cause's collected points over: `cause → disbursed`.

    A closed cause can still be disbursed: closing only stops new donations.

    :raises DisbursementMemoRequired:
    :raises CauseNotFound:
    :raises DisbursementExceedsBalance: the cause holds less than that; nothing is posted.
    """
    if not memo or not memo.strip():
        raise DisbursementMemoRequired()
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise InvalidAmount(amount=points)
    cause = get_cause(session, cause_id)
    try:
        entry = transfer(
            session,
            kind=EntryKind.DISBURSEMENT,
            from_account_id=cause.account_id,
            to_account_id=system_account(session, AccountKind.DISBURSED).id,
            amount=points,
            idempotency_key=idempotency_key,
            memo=memo.strip(),
            memo_params={"cause": cause.name, "note": memo.strip()},
            actor_user_id=actor.user_id,
        )
    except InsufficientBalance as error:
        # The conditional debit already refused it; say so in the cause's own terms.
        raise DisbursementExceedsBalance(available=error.params["available"], requested=points) from error
    existing = session.scalar(select(Disbursement).where(Disbursement.entry_id == entry.id))
    if existing is not None:
        return existing
    disbursement = Disbursement(
        cause_id=cause.id,
        points=points,
        memo=memo.strip(),
        attachment_ref=attachment_ref.strip(),
        entry_id=entry.id,
        recorded_by_user_id=actor.user_id,
        created_at=entry.created_at,
    )
    session.add(disbursement)
    session.flush()
    record_audit(
        session, actor, "disbursement.record", target_type="cause", target_id=cause.id,
        after={"disbursement_id": disbursement.id, "points": points, "memo": disbursement.memo,
               "attachment_ref": disbursement.attachment_ref},
    )
    return disbursement


def list_disbursements(
    session: Session, *, cause_id: int | None = None, limit: int | None = None, cursor: str | None = None
) -> Page:
    """Return one page of disbursements, newest first, optionally of one cause.

    :raises InvalidCursor:
    """
    query = select(Disbursement)
    if cause_id is not None:
        query = query.where(Disbursement.cause_id == cause_id)
    return fetch_page(session, query, Disbursement.id, limit=limit, cursor=cursor, newest_first=True)
