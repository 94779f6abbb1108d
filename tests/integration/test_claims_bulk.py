"""Bulk approval in one batch: the same outcome, postings and balances as approving claim by claim."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR, Actor
from mileage.cards import lifecycle, lookup
from mileage.claims import review
from mileage.claims.rules import ClaimPolicy
from mileage.errors import ClaimAlreadyReviewed, InsufficientBalance, TransactionConflict, UnbalancedEntry
from mileage.ledger import Leg, NewEntry
from mileage.models import AccountKind, CardStatus, ClaimState, JournalEntry, Posting


def _postings(session, account_id: int) -> list[tuple[int, int]]:
    return [
        (posting.amount, posting.balance_after)
        for posting in session.scalars(select(Posting).where(Posting.account_id == account_id).order_by(Posting.id))
    ]


def test_a_batch_credits_each_card_once_per_claim_with_running_balances(session, make):
    first_card, second_card = make.card(balance=500), make.card()
    batch = [
        make.claim(volunteer=first_card.volunteer, start_minute=9 * 60, minutes=60),
        make.claim(volunteer=second_card.volunteer, minutes=120),
        make.claim(volunteer=first_card.volunteer, start_minute=13 * 60, minutes=30),
    ]
    issuance = ledger.system_account(session, AccountKind.ISSUANCE)
    issuance_before = ledger.get_balance(session, issuance.id)

    result = review.approve_claims(session, [claim.id for claim in batch], actor=SYSTEM_ACTOR)

    assert [claim.id for claim in result.approved] == [claim.id for claim in batch]
    assert result.failed == {}
    assert [(claim.state, claim.points) for claim in result.approved] == [
        (ClaimState.APPROVED, 1_000), (ClaimState.APPROVED, 2_000), (ClaimState.APPROVED, 500)
    ]
    for claim in result.approved:
        entry = session.get(JournalEntry, claim.approval_entry_id)
        assert entry.idempotency_key == f"claim:{claim.id}:approval"
        assert sorted(posting.amount for posting in entry.postings) == [-claim.points, claim.points]
    assert _postings(session, first_card.account_id) == [(500, 500), (1_000, 1_500), (500, 2_000)]
    assert _postings(session, second_card.account_id) == [(2_000, 2_000)]
    assert ledger.get_balance(session, issuance.id) == issuance_before - 3_500
    assert _postings(session, issuance.id)[-3:] == [
        (-1_000, issuance_before - 1_000), (-2_000, issuance_before - 3_000), (-500, issuance_before - 3_500)
    ]
    assert ledger.check_invariants(session).ok


def test_each_claim_gets_the_entry_a_single_approval_would_post(session, make):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, minutes=90)

    [approved] = review.approve_claims(session, [claim.id], actor=SYSTEM_ACTOR).approved

    entry = session.get(JournalEntry, approved.approval_entry_id)
    issuance = ledger.system_account(session, AccountKind.ISSUANCE)
    assert (entry.kind, entry.idempotency_key, entry.memo_params) == ("claim_approval", f"claim:{claim.id}:approval",
                                                                     {"claim": claim.id})
    # The same fingerprint: posting it again through post_entry is a replay, not a refusal.
    replay = ledger.transfer(
        session, kind="claim_approval", from_account_id=issuance.id, to_account_id=card.account_id,
        amount=1_500, idempotency_key=f"claim:{claim.id}:approval",
    )
    assert replay.id == entry.id
    assert lookup.card_balance(session, card) == 1_500


def test_a_claim_approved_twice_in_one_request_counts_once_and_again_is_refused(session, make):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, minutes=60)

    first = review.approve_claims(session, [claim.id, claim.id], actor=SYSTEM_ACTOR)
    again = review.approve_claims(session, [claim.id], actor=SYSTEM_ACTOR)

    assert [c.id for c in first.approved] == [claim.id]
    assert isinstance(again.failed[claim.id], ClaimAlreadyReviewed)
    assert lookup.card_balance(session, card) == 1_000


def test_a_card_replaced_after_submission_is_followed_to_its_replacement(session, make):
    old_card = make.card(balance=200)
    claim = make.claim(volunteer=old_card.volunteer, minutes=60)
    lifecycle.report_lost(session, old_card.id, actor=SYSTEM_ACTOR)
    new_card = lifecycle.reissue_card(session, old_card.id, actor=SYSTEM_ACTOR).card

    result = review.approve_claims(session, [claim.id], actor=SYSTEM_ACTOR)

    assert [c.id for c in result.approved] == [claim.id]
    assert lookup.get_card(session, old_card.id).status == CardStatus.REPLACED
    assert (lookup.card_balance(session, old_card), lookup.card_balance(session, new_card)) == (0, 1_200)
    assert ledger.check_invariants(session).ok


def test_a_lost_card_not_yet_reissued_still_receives_the_points(session, make):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, minutes=60)
    lifecycle.report_lost(session, card.id, actor=SYSTEM_ACTOR)

    result = review.approve_claims(session, [claim.id], actor=SYSTEM_ACTOR)

    assert [c.id for c in result.approved] == [claim.id]
    assert lookup.card_balance(session, card) == 1_000


def test_a_claim_worth_no_points_is_approved_without_an_entry_even_without_a_card(session, make):
    volunteer = make.volunteer()
    policy = ClaimPolicy(points_per_hour=1)
    claim = make.claim(volunteer=volunteer, minutes=30, policy=policy)
    entries_before = session.scalar(select(func.count()).select_from(JournalEntry))

    result = review.approve_claims(session, [claim.id], actor=SYSTEM_ACTOR, policy=policy)

    assert [(c.id, c.state, c.points, c.approval_entry_id) for c in result.approved] == [
        (claim.id, ClaimState.APPROVED, 0, None)
    ]
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries_before


def test_the_reviewer_is_recorded_on_every_claim_and_entry_of_the_batch(session, make):
    reviewer = make.user(role="staff")
    batch = [make.claim(minutes=60), make.claim(minutes=60)]

    reviewer_actor = Actor(user_id=reviewer.id, role="staff")
    result = review.approve_claims(session, [claim.id for claim in batch], actor=reviewer_actor)

    assert {claim.reviewed_by_user_id for claim in result.approved} == {reviewer.id}
    assert all(claim.reviewed_at is not None for claim in result.approved)
    assert {session.get(JournalEntry, claim.approval_entry_id).actor_user_id for claim in result.approved} == {
        reviewer.id
    }


# --- the ledger's batch posting -------------------------------------------------------------

def test_post_entries_refuses_an_overdraft_at_any_step_and_posts_nothing(session, make):
    payer, payee = make.card(balance=100), make.card()
    entries_before = session.scalar(select(func.count()).select_from(JournalEntry))

    with pytest.raises(InsufficientBalance):
        ledger.post_entries(
            session,
            [
                NewEntry(kind="test", legs=(Leg(payer.account_id, -60), Leg(payee.account_id, 60))),
                NewEntry(kind="test", legs=(Leg(payer.account_id, -60), Leg(payee.account_id, 60))),
            ],
        )

    assert (lookup.card_balance(session, payer), lookup.card_balance(session, payee)) == (100, 0)
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries_before
    assert ledger.check_invariants(session).ok


def test_post_entries_refuses_an_unbalanced_entry(session, make):
    card = make.card(balance=100)
    issuance = ledger.system_account(session, AccountKind.ISSUANCE)

    with pytest.raises(UnbalancedEntry):
        ledger.post_entries(session, [NewEntry(kind="test", legs=(Leg(card.account_id, -10), Leg(issuance.id, 5)))])


def test_post_entries_with_a_key_already_used_is_a_conflict(session, make):
    card = make.card(balance=100)
    issuance = ledger.system_account(session, AccountKind.ISSUANCE)
    ledger.transfer(session, kind="test", from_account_id=issuance.id, to_account_id=card.account_id, amount=5,
                    idempotency_key="once")

    again = NewEntry(kind="test", legs=(Leg(issuance.id, -5), Leg(card.account_id, 5)), idempotency_key="once")

    with pytest.raises(TransactionConflict):
        ledger.post_entries(session, [again])

    assert lookup.card_balance(session, card) == 105


def test_post_entries_of_nothing_posts_nothing(session):
    assert ledger.post_entries(session, []) == []
