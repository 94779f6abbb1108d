"""Reviewing claims: approval into points (exactly once, singly or in bulk), rejection, reversal.

Every review is written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from mileage.audit import Actor, record_audit
from mileage.cards.lookup import lock_current_card
from mileage.claims.rules import DEFAULT_POLICY, ClaimPolicy
from mileage.clock import utc_now
from mileage.errors import (
    ClaimAlreadyReviewed,
    ClaimNotApproved,
    ClaimNotFound,
    DomainError,
    RejectionReasonRequired,
)
from mileage.ledger import Leg, NewEntry, post_entries, post_entry, system_account, transfer
from mileage.models import (
    Account,
    AccountKind,
    Card,
    CardStatus,
    Claim,
    ClaimState,
    EntryKind,
    JournalEntry,
)


def get_claim(session: Session, claim_id: int) -> Claim:
    """Return a claim.

    :raises ClaimNotFound:
    """
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise ClaimNotFound(claim_id=claim_id)
    return claim


def _move_claim_state(session: Session, claim: Claim, expected: ClaimState, **values) -> None:
    """Change a claim's state only if it is still in the expected one.

    The conditional UPDATE takes the row lock: of two reviewers clicking at once, the second waits
    and then finds the state already changed.

    :raises ClaimAlreadyReviewed:
    """
    changed = session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.state == str(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        session.refresh(claim)
        raise ClaimAlreadyReviewed(claim_id=claim.id, state=claim.state)


def approve_claim(session: Session, claim_id: int, *, actor: Actor, policy: ClaimPolicy = DEFAULT_POLICY) -> Claim:
    """Approve a submitted claim and credit its points to the volunteer's card, exactly once.

    :raises ClaimNotFound:
    :raises ClaimAlreadyReviewed:
    :raises VolunteerHasNoCard:
    """
    claim = get_claim(session, claim_id)
    if claim.state != ClaimState.SUBMITTED:
        raise ClaimAlreadyReviewed(claim_id=claim_id, state=claim.state)
    points = policy.points_for(claim.minutes)
    _move_claim_state(
        session,
        claim,
        ClaimState.SUBMITTED,
        state=str(ClaimState.APPROVED),
        reviewed_by_user_id=actor.user_id,
        reviewed_at=utc_now(),
        points=points,
    )
    if points > 0:
        card_account_id = lock_current_card(session, claim.volunteer_id).account_id
        entry = transfer(
            session,
            kind=EntryKind.CLAIM_APPROVAL,
            from_account_id=system_account(session, AccountKind.ISSUANCE).id,
            to_account_id=card_account_id,
            amount=points,
            idempotency_key=f"claim:{claim_id}:approval",
            memo_params={"claim": claim_id},
            actor_user_id=actor.user_id,
        )
        session.execute(
            update(Claim).where(Claim.id == claim_id).values(approval_entry_id=entry.id)
            .execution_options(synchronize_session=False)
        )
    session.refresh(claim)
    _record_approval(session, claim, actor)
    return claim


def reject_claim(session: Session, claim_id: int, *, actor: Actor, reason: str) -> Claim:
    """Reject a submitted claim with a reason the volunteer will read.

    :raises ClaimNotFound:
    :raises RejectionReasonRequired:
    :raises ClaimAlreadyReviewed:
    """
    if not reason or not reason.strip():
        raise RejectionReasonRequired()
    claim = get_claim(session, claim_id)
    if claim.state != ClaimState.SUBMITTED:
        raise ClaimAlreadyReviewed(claim_id=claim_id, state=claim.state)
    _move_claim_state(
        session,
        claim,
        ClaimState.SUBMITTED,
        state=str(ClaimState.REJECTED),
        reviewed_by_user_id=actor.user_id,
        reviewed_at=utc_now(),
        rejection_reason=reason.strip(),
    )
    session.refresh(claim)
    record_audit(
        session,
        actor,
        "claim.reject",
        target_type="claim",
        target_id=claim_id,
        before={"state": "submitted"},
        after={"state": claim.state, "reason": claim.rejection_reason},
    )
    return claim


def reverse_claim(session: Session, claim_id: int, *, actor: Actor, reason: str = "") -> Claim:
    """Take back an approved claim's points, as far as the card's balance allows.

    The card may already have spent them; the claim records how many points could not be recovered.

    :raises ClaimNotFound:
    :raises ClaimNotApproved:
    :raises VolunteerHasNoCard:
    """
    claim = get_claim(session, claim_id)
    if claim.state != ClaimState.APPROVED:
        raise ClaimNotApproved(claim_id=claim_id, state=claim.state)
    card_account_id = lock_current_card(session, claim.volunteer_id).account_id
    # Lock the card's balance so the amount recovered is exactly what is still there.
    balance = session.scalar(
        select(Account.balance).where(Account.id == card_account_id).with_for_update()
    )
    recoverable = min(claim.points or 0, balance)
    values = dict(state=str(ClaimState.REVERSED), unrecovered_points=(claim.points or 0) - recoverable)
    _move_claim_state(session, claim, ClaimState.APPROVED, **values)
    if recoverable > 0:
        entry = post_entry(
            session,
            kind=EntryKind.CLAIM_REVERSAL,
            legs=[
                Leg(card_account_id, -recoverable),
                Leg(system_account(session, AccountKind.ISSUANCE).id, recoverable),
            ],
            idempotency_key=f"claim:{claim_id}:reversal",
            memo=reason or "",
            memo_params={"claim": claim_id, **({"note": reason} if reason else {})},
            reverses_entry_id=claim.approval_entry_id,
            actor_user_id=actor.user_id,
        )
        session.execute(
            update(Claim).where(Claim.id == claim_id).values(reversal_entry_id=entry.id)
            .execution_options(synchronize_session=False)
        )
    session.refresh(claim)
    record_audit(
        session,
        actor,
        "claim.reverse",
        target_type="claim",
        target_id=claim_id,
        before={"state": "approved", "points": claim.points},
        after={
            "state": claim.state,
            "recovered_points": recovered_points(claim),
            "unrecovered_points": claim.unrecovered_points,
            "reason": reason,
        },
    )
    return claim


@dataclass
class BulkResult:
    """The outcome of a bulk review: what succeeded and, per failed claim, why."""

    approved: list[Claim] = field(default_factory=list)
    failed: dict[int, DomainError] = field(default_factory=dict)


def approve_claims(
    session: Session,
    claim_ids: Iterable[int],
    *,
    actor: Actor,
    policy: ClaimPolicy = DEFAULT_POLICY,
) -> BulkResult:
    """Approve many claims; each is all-or-nothing on its own, and a bad one does not stop the rest.

    The usual claim (submitted, worth points, its volunteer holding a card) is approved together
    with the others like it, in a few statements for the whole batch. Any other claim goes through
    `approve_claim` on its own, so its refusal is exactly that of a single approval.
    """
    claim_ids = list(dict.fromkeys(claim_ids))
    approved = _approve_usual_claims(session, claim_ids, reviewer_id=actor.user_id, policy=policy)
    for claim in approved.values():
        _record_approval(session, claim, actor, flush=False)
    result = BulkResult()
    for claim_id in claim_ids:
        if claim_id in approved:
            result.approved.append(approved[claim_id])
            continue
        try:
            with session.begin_nested():
                result.approved.append(approve_claim(session, claim_id, actor=actor, policy=policy))
        except DomainError as error:
            result.failed[claim_id] = error
    session.flush()
    return result


def _approve_usual_claims(
    session: Session, claim_ids: list[int], *, reviewer_id: int | None, policy: ClaimPolicy
) -> dict[int, Claim]:
    """Approve, as one batch, the claims that need nothing unusual; return them by id.

    Locks are taken in the order a single approval takes them (claims, then cards, then the
    ledger accounts), each kind in id order, so batches and single approvals cannot deadlock.
    Claims left out are those a single approval must handle: not found, no longer submitted,
    worth no points, without a current card, on a card replaced meanwhile, or already posted.
    """
    submitted = list(
        session.scalars(
            select(Claim)
            .where(Claim.id.in_(claim_ids), Claim.state == str(ClaimState.SUBMITTED))
            .order_by(Claim.id)
            .with_for_update()
        )
    )
    points = {claim.id: policy.points_for(claim.minutes) for claim in submitted}
    submitted = [claim for claim in submitted if points[claim.id] > 0]
    if not submitted:
        return {}
    newest_cards = session.execute(
        select(func.max(Card.id))
        .where(Card.volunteer_id.in_({claim.volunteer_id for claim in submitted}), Card.status != CardStatus.REPLACED)
        .group_by(Card.volunteer_id)
    ).scalars()
    card_accounts = {
        volunteer_id: account_id
        for volunteer_id, account_id, status in session.execute(
            select(Card.volunteer_id, Card.account_id, Card.status)
            .where(Card.id.in_(list(newest_cards)))
            .order_by(Card.id)
            .with_for_update()
        )
        if status != CardStatus.REPLACED
    }
    keys = {claim.id: f"claim:{claim.id}:approval" for claim in submitted}
    already_posted = set(
        session.scalars(select(JournalEntry.idempotency_key).where(JournalEntry.idempotency_key.in_(keys.values())))
    )
    usual = [
        claim for claim in submitted if claim.volunteer_id in card_accounts and keys[claim.id] not in already_posted
    ]
    if not usual:
        return {}
    issuance_id = system_account(session, AccountKind.ISSUANCE).id
    entries = post_entries(
        session,
        [
            NewEntry(
                kind=EntryKind.CLAIM_APPROVAL,
                legs=(Leg(issuance_id, -points[claim.id]), Leg(card_accounts[claim.volunteer_id], points[claim.id])),
                idempotency_key=keys[claim.id],
                memo_params={"claim": claim.id},
                actor_user_id=reviewer_id,
            )
            for claim in usual
        ],
    )
    reviewed_at = utc_now()
    session.execute(
        update(Claim),
        [
            {"id": claim.id, "state": str(ClaimState.APPROVED), "reviewed_by_user_id": reviewer_id,
             "reviewed_at": reviewed_at, "points": points[claim.id], "approval_entry_id": entry.id}
            for claim, entry in zip(usual, entries, strict=True)
        ],
    )
    return {
        claim.id: claim
        for claim in session.scalars(
            select(Claim)
            .where(Claim.id.in_([claim.id for claim in usual]))
            .options(selectinload(Claim.volunteer), selectinload(Claim.organisation))
            .execution_options(populate_existing=True)
        )
    }


def get_claim_in_scope(session: Session, claim_id: int, *, organisation_scope: int | None = None) -> Claim:
    """Return a claim the caller may see.

    :raises ClaimNotFound: no such claim, or (for a coordinator) another organisation's, so that
        claim ids of other organisations do not leak.
    """
    claim = get_claim(session, claim_id)
    if organisation_scope is not None and claim.organisation_id != organisation_scope:
        raise ClaimNotFound(claim_id=claim_id)
    return claim


def _record_approval(session: Session, claim: Claim, actor: Actor, *, flush: bool = True) -> None:
    record_audit(
        session,
        actor,
        "claim.approve",
        target_type="claim",
        target_id=claim.id,
        before={"state": "submitted"},
        after={"state": claim.state, "points": claim.points},
        flush=flush,
    )


def recovered_points(claim: Claim) -> int | None:
    """Return how many points a reversal took back (None unless the claim was reversed)."""
    if claim.unrecovered_points is None:
        return None
    return (claim.points or 0) - claim.unrecovered_points
