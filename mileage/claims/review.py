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
from mileage.claims.rules import ClaimPolicy, rule_book_for
from mileage.clock import utc_now
from mileage.db import update_rows
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
    VolunteerEarning,
)
from mileage.programme import payout
from mileage.programme.book import RuleBook
from mileage.programme.earnings import CertifiedClaim, ClaimEarning, replay
from mileage.tiers import review as tier_review


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
    changed = update_rows(session, Claim, Claim.id == claim.id, Claim.state == str(expected), **values)
    if changed != 1:
        session.refresh(claim)
        raise ClaimAlreadyReviewed(claim_id=claim.id, state=claim.state)


def _mark_reviewed(session: Session, claim: Claim, outcome: ClaimState, actor: Actor, **values) -> None:
    """Move a submitted claim to its review's outcome, with who reviewed it and when.

    :raises ClaimAlreadyReviewed:
    """
    _move_claim_state(
        session, claim, ClaimState.SUBMITTED,
        state=str(outcome), reviewed_by_user_id=actor.user_id, reviewed_at=utc_now(), **values,
    )


def approve_claim(session: Session, claim_id: int, *, actor: Actor, policy: ClaimPolicy | None = None) -> Claim:
    """Approve a submitted claim and credit what it adds to the volunteer's replay, exactly once.

    The points are what the claim makes the replay of the volunteer's certified minutes grow by
    (`mileage.programme.earnings`): bands and caps of the rule set of its day, minutes carried over.
    The claim keeps how many points a cap withheld, and which cap.

    :raises ClaimNotFound:
    :raises ClaimAlreadyReviewed:
    :raises VolunteerHasNoCard:
    """
    claim = get_claim(session, claim_id)
    # The claim row first, then the volunteer and their earning row, then the card, then the accounts.
    _mark_reviewed(session, claim, ClaimState.APPROVED, actor)
    earning = payout.lock_volunteer_earnings(session, [claim.volunteer_id])[claim.volunteer_id]
    base = [c for c in payout.certified_claims(session, [claim.volunteer_id])[claim.volunteer_id]
            if c.claim_id != claim_id]
    paid = _pay_in_turn(rule_book_for(session, policy), earning, base, [payout.certified_claim(claim)])[claim_id]
    entry_id = None
    if paid.points > 0:
        card_account_id = lock_current_card(session, claim.volunteer_id).account_id
        entry_id = transfer(
            session,
            kind=EntryKind.CLAIM_APPROVAL,
            from_account_id=system_account(session, AccountKind.ISSUANCE).id,
            to_account_id=card_account_id,
            amount=paid.points,
            idempotency_key=f"claim:{claim_id}:approval",
            memo_params={"claim": claim_id},
            actor_user_id=actor.user_id,
        ).id
    update_rows(session, Claim, Claim.id == claim_id, approval_entry_id=entry_id, **paid.claim_values())
    session.refresh(claim)
    _record_approval(session, claim, actor)
    tier_review.reevaluate_tier(session, claim.volunteer_id, reason=tier_review.REASON_APPROVED)
    return claim


@dataclass(frozen=True)
class _Paid:
    """What one approval posts and keeps on the claim."""

    points: int
    withheld_points: int
    withheld_by: str | None
    earning: ClaimEarning

    def claim_values(self) -> dict:
        return {
            "points": self.points,
            "recognised_minutes": self.earning.recognised_minutes,
            "withheld_points": self.withheld_points,
            "withheld_by": self.withheld_by,
            "rule_set_version": self.earning.rule_set_version,
        }


def _pay_in_turn(
    book: RuleBook, earning: VolunteerEarning, base: list[CertifiedClaim], new: list[CertifiedClaim]
) -> dict[int, _Paid]:
    """Add claims one by one (in id order) to a volunteer's certified claims; return what each adds.

    Each posts the growth of the replay total over what was credited. An approval never takes points
    back: with bands that never lower the rate, adding minutes never lowers the total anyway. What the
    caps withheld is the growth without caps less the growth with them, so that over all approvals
    the points paid and withheld add up to what the hours earned before caps.
    """
    certified = list(base)
    credited = earning.credited_points
    uncapped_before = replay(certified, book.on, caps=False).points
    paid: dict[int, _Paid] = {}
    result = None
    for claim in sorted(new, key=lambda c: c.claim_id):
        certified.append(claim)
        result = replay(certified, book.on)
        uncapped = replay(certified, book.on, caps=False).points
        points = max(0, result.points - credited)
        withheld = max(0, uncapped - uncapped_before - points)
        credited += points
        uncapped_before = uncapped
        mine = result.claims[claim.claim_id]
        paid[claim.claim_id] = _Paid(points, withheld, (mine.withheld_by or result.last_cap) if withheld else None,
                                     mine)
    if result is not None:
        payout.record_replay(earning, credited_points=credited, certified_minutes=result.certified_minutes,
                             carried_point_minutes=result.carried_point_minutes)
    return paid


def reject_claim(session: Session, claim_id: int, *, actor: Actor, reason: str) -> Claim:
    """Reject a submitted claim with a reason the volunteer will read.

    :raises ClaimNotFound:
    :raises RejectionReasonRequired:
    :raises ClaimAlreadyReviewed:
    """
    if not reason or not reason.strip():
        raise RejectionReasonRequired()
    claim = get_claim(session, claim_id)
    _mark_reviewed(session, claim, ClaimState.REJECTED, actor, rejection_reason=reason.strip())
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


def reverse_claim(
    session: Session, claim_id: int, *, actor: Actor, reason: str = "", policy: ClaimPolicy | None = None
) -> Claim:
    """Take back what an approved claim added, remainder included, as far as the card's balance allows.

    The replay without the claim says what the volunteer should have been credited; the difference
    to what was credited is taken back. The card may already have spent it: the claim records how
    many points could not be recovered, and they are written off (not taken from later claims).

    :raises ClaimNotFound:
    :raises ClaimNotApproved:
    :raises VolunteerHasNoCard:
    """
    claim = get_claim(session, claim_id)
    if claim.state != ClaimState.APPROVED:
        raise ClaimNotApproved(claim_id=claim_id, state=claim.state)
    before_points = claim.points
    # The claim row first, then the volunteer and their earning row, then the card, then the accounts.
    _move_claim_state(session, claim, ClaimState.APPROVED, state=str(ClaimState.REVERSED))
    earning = payout.lock_volunteer_earnings(session, [claim.volunteer_id])[claim.volunteer_id]
    remaining = payout.certified_claims(session, [claim.volunteer_id])[claim.volunteer_id]
    result = replay(remaining, rule_book_for(session, policy).on)
    take_back = max(0, earning.credited_points - result.points)
    card_account_id = lock_current_card(session, claim.volunteer_id).account_id
    # Lock the card's balance so the amount recovered is exactly what is still there.
    balance = session.scalar(
        select(Account.balance).where(Account.id == card_account_id).with_for_update()
    )
    recoverable = min(take_back, balance)
    payout.record_replay(earning, credited_points=earning.credited_points - take_back,
                         certified_minutes=result.certified_minutes,
                         carried_point_minutes=result.carried_point_minutes)
    values = dict(reversal_points=take_back, unrecovered_points=take_back - recoverable)
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
        values["reversal_entry_id"] = entry.id
    update_rows(session, Claim, Claim.id == claim_id, **values)
    session.refresh(claim)
    record_audit(
        session,
        actor,
        "claim.reverse",
        target_type="claim",
        target_id=claim_id,
        before={"state": "approved", "points": before_points},
        after={
            "state": claim.state,
            "reversal_points": take_back,
            "recovered_points": recovered_points(claim),
            "unrecovered_points": claim.unrecovered_points,
            "reason": reason,
        },
    )
    tier_review.reevaluate_tier(session, claim.volunteer_id, reason=tier_review.REASON_REVERSED)
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
    policy: ClaimPolicy | None = None,
) -> BulkResult:
    """Approve many claims; each is all-or-nothing on its own, and a bad one does not stop the rest.

    The usual claim (submitted, its volunteer holding a card) is approved together with the others
    like it, in a few statements for the whole batch. Any other claim goes through `approve_claim` on
    its own, so its refusal is exactly that of a single approval.
    """
    claim_ids = list(dict.fromkeys(claim_ids))
    approved = _approve_usual_claims(session, claim_ids, reviewer_id=actor.user_id, policy=policy)
    for claim in approved.values():
        _record_approval(session, claim, actor, flush=False)
    tier_review.reevaluate_tiers(session, sorted({claim.volunteer_id for claim in approved.values()}),
                                 reason=tier_review.REASON_APPROVED)
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
    session: Session, claim_ids: list[int], *, reviewer_id: int | None, policy: ClaimPolicy | None
) -> dict[int, Claim]:
    """Approve, as one batch, the claims that need nothing unusual; return them by id.

    Locks are taken in the order a single approval takes them (claims, then volunteers and their
    earning rows, then cards, then the ledger accounts), each kind in id order, so batches and single
    approvals cannot deadlock. Claims left out are those a single approval must handle: not found, no
    longer submitted, without a current card, on a card replaced meanwhile, or already posted.
    """
    submitted = list(
        session.scalars(
            select(Claim)
            .where(Claim.id.in_(claim_ids), Claim.state == str(ClaimState.SUBMITTED))
            .order_by(Claim.id)
            .with_for_update()
        )
    )
    if not submitted:
        return {}
    volunteer_ids = {claim.volunteer_id for claim in submitted}
    earnings = payout.lock_volunteer_earnings(session, volunteer_ids)
    newest_cards = session.execute(
        select(func.max(Card.id))
        .where(Card.volunteer_id.in_(volunteer_ids), Card.status != CardStatus.REPLACED)
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
    book = rule_book_for(session, policy)
    bases = payout.certified_claims(session, {claim.volunteer_id for claim in usual})
    paid: dict[int, _Paid] = {}
    by_volunteer: dict[int, list[CertifiedClaim]] = {}
    for claim in usual:
        by_volunteer.setdefault(claim.volunteer_id, []).append(payout.certified_claim(claim))
    for volunteer_id in sorted(by_volunteer):
        paid.update(_pay_in_turn(book, earnings[volunteer_id], bases.get(volunteer_id, []), by_volunteer[volunteer_id]))
    issuance_id = system_account(session, AccountKind.ISSUANCE).id
    posting = [claim for claim in usual if paid[claim.id].points > 0]
    entries = post_entries(
        session,
        [
            NewEntry(
                kind=EntryKind.CLAIM_APPROVAL,
                legs=(Leg(issuance_id, -paid[claim.id].points),
                      Leg(card_accounts[claim.volunteer_id], paid[claim.id].points)),
                idempotency_key=keys[claim.id],
                memo_params={"claim": claim.id},
                actor_user_id=reviewer_id,
            )
            for claim in posting
        ],
    ) if posting else []
    entry_ids = {claim.id: entry.id for claim, entry in zip(posting, entries, strict=True)}
    reviewed_at = utc_now()
    session.execute(
        update(Claim),
        [
            {"id": claim.id, "state": str(ClaimState.APPROVED), "reviewed_by_user_id": reviewer_id,
             "reviewed_at": reviewed_at, "approval_entry_id": entry_ids.get(claim.id),
             **paid[claim.id].claim_values()}
            for claim in usual
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


def estimate_points(session: Session, claims: Iterable[Claim], *, policy: ClaimPolicy | None = None) -> dict[int, int]:
    """Return, per submitted claim, the points approving it alone now would credit (reads only, posts nothing)."""
    pending = [claim for claim in claims if claim.state == ClaimState.SUBMITTED]
    if not pending:
        return {}
    book = rule_book_for(session, policy)
    volunteer_ids = {claim.volunteer_id for claim in pending}
    bases = payout.certified_claims(session, volunteer_ids)
    credited = dict(session.execute(
        select(VolunteerEarning.volunteer_id, VolunteerEarning.credited_points)
        .where(VolunteerEarning.volunteer_id.in_(volunteer_ids))
    ).all())
    estimates = {}
    for claim in pending:
        total = replay([*bases.get(claim.volunteer_id, []), payout.certified_claim(claim)], book.on).points
        estimates[claim.id] = max(0, total - credited.get(claim.volunteer_id, 0))
    return estimates


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
        after={"state": claim.state, "points": claim.points,
               **({"withheld_points": claim.withheld_points, "withheld_by": claim.withheld_by}
                  if claim.withheld_points else {})},
        flush=flush,
    )


def recovered_points(claim: Claim) -> int | None:
    """Return how many points a reversal took back (None unless the claim was reversed)."""
    if claim.unrecovered_points is None:
        return None
    aimed = claim.reversal_points if claim.reversal_points is not None else (claim.points or 0)
    return aimed - claim.unrecovered_points
