"""Hours claims under review: approval into points, rejection, reversal, bulk approval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR, Actor
from mileage.cards import lifecycle, lookup
from mileage.claims import review as claims_review
from mileage.claims import submission
from mileage.claims.rules import ClaimPolicy, ClaimRequest
from mileage.clock import seoul_today
from mileage.errors import (
    ClaimAlreadyReviewed,
    ClaimNotApproved,
    ClaimNotFound,
    OrganisationNotFound,
    RejectionReasonRequired,
    VolunteerHasNoCard,
    VolunteerInactive,
)
from mileage.models import AccountKind, ClaimState, JournalEntry, VolunteerStatus


def _entries(session) -> int:
    return session.scalar(select(func.count()).select_from(JournalEntry))


def _spend(session, card, amount):
    merchant = ledger.open_account(session, AccountKind.MERCHANT, f"merchant:spend-{card.id}-{amount}")
    ledger.transfer(
        session, kind="redemption", from_account_id=card.account_id, to_account_id=merchant.id, amount=amount
    )


# --- approval -------------------------------------------------------------------------------

@pytest.mark.parametrize("minutes, points", [(60, 1_000), (150, 2_500), (59, 983), (7, 116), (480, 8_000)])
def test_approval_credits_minutes_times_rate_over_sixty_rounded_down(session, make, minutes, points):
    card = make.card(balance=300)
    claim = make.claim(volunteer=card.volunteer, minutes=minutes)

    approved = claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)

    assert approved.state == ClaimState.APPROVED
    assert approved.points == points
    assert lookup.card_balance(session, card) == 300 + points
    entry = session.get(JournalEntry, approved.approval_entry_id)
    assert entry.kind == "claim_approval"
    issuance = ledger.system_account(session, AccountKind.ISSUANCE)
    assert sorted((p.account_id, p.amount) for p in entry.postings) == sorted(
        [(issuance.id, -points), (card.account_id, points)]
    )
    assert ledger.check_invariants(session).ok


def test_the_points_follow_the_policy_rate(session, make):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, minutes=50)

    claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR, policy=ClaimPolicy(points_per_hour=1_500))

    assert lookup.card_balance(session, card) == 1_250


def test_a_claim_is_approved_only_once(session, make):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, minutes=120)
    claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    entries = _entries(session)

    with pytest.raises(ClaimAlreadyReviewed) as refused:
        claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)

    assert refused.value.params["state"] == ClaimState.APPROVED
    assert _entries(session) == entries
    assert lookup.card_balance(session, card) == 2_000


def test_the_reviewer_and_time_of_review_are_recorded(session, make):
    reviewer = make.user(role="staff")
    claim = make.claim(minutes=60)

    approved = claims_review.approve_claim(session, claim.id, actor=Actor(user_id=reviewer.id, role="staff"))

    assert approved.reviewed_by_user_id == reviewer.id
    assert approved.reviewed_at is not None
    assert session.get(JournalEntry, approved.approval_entry_id).actor_user_id == reviewer.id


def test_approving_an_unknown_claim_is_refused(session):
    with pytest.raises(ClaimNotFound):
        claims_review.approve_claim(session, 999_999, actor=SYSTEM_ACTOR)


def test_approval_credits_the_card_that_holds_the_points_after_a_reissue(session, make):
    old = make.card(balance=500)
    claim = make.claim(volunteer=old.volunteer, minutes=60)
    new = lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR).card

    claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)

    assert (lookup.card_balance(session, old), lookup.card_balance(session, new)) == (0, 1_500)


# --- submission -----------------------------------------------------------------------------

def test_an_inactive_volunteer_cannot_claim_hours(session, make):
    volunteer = make.card().volunteer
    volunteer.status = VolunteerStatus.INACTIVE
    session.flush()

    with pytest.raises(VolunteerInactive):
        make.claim(volunteer=volunteer)


def test_a_claim_must_name_a_known_organisation(session, make):
    volunteer = make.card().volunteer
    request = ClaimRequest(
        volunteer_id=volunteer.id,
        organisation_id=999_999,
        work_date=seoul_today() - timedelta(days=1),
        start_minute=540,
        end_minute=600,
        category="복지",
    )
    with pytest.raises(OrganisationNotFound):
        submission.submit_claim(session, request, actor=SYSTEM_ACTOR)


# --- rejection ------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["", "   ", None])
def test_rejecting_needs_a_reason(session, make, reason):
    claim = make.claim()

    with pytest.raises(RejectionReasonRequired):
        claims_review.reject_claim(session, claim.id, actor=SYSTEM_ACTOR, reason=reason)

    assert claims_review.get_claim(session, claim.id).state == ClaimState.SUBMITTED


def test_a_rejected_claim_keeps_its_reason_and_credits_nothing(session, make):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer)
    entries = _entries(session)

    rejected = claims_review.reject_claim(session, claim.id, actor=SYSTEM_ACTOR, reason="  기관 확인 불가 ")

    assert rejected.state == ClaimState.REJECTED
    assert rejected.rejection_reason == "기관 확인 불가"
    assert _entries(session) == entries
    assert lookup.card_balance(session, card) == 0
    with pytest.raises(ClaimAlreadyReviewed):
        claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    assert lookup.card_balance(session, card) == 0


def test_an_approved_claim_cannot_be_rejected(session, make):
    claim = make.claim()
    claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)

    with pytest.raises(ClaimAlreadyReviewed):
        claims_review.reject_claim(session, claim.id, actor=SYSTEM_ACTOR, reason="late")

    assert claims_review.get_claim(session, claim.id).state == ClaimState.APPROVED


# --- reversal -------------------------------------------------------------------------------

def test_reversing_an_unspent_claim_takes_all_its_points_back(session, make):
    card = make.card(balance=400)
    claim = make.claim(volunteer=card.volunteer, minutes=90)
    claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)

    reversed_claim = claims_review.reverse_claim(session, claim.id, actor=SYSTEM_ACTOR, reason="중복 신청")

    assert reversed_claim.state == ClaimState.REVERSED
    assert reversed_claim.unrecovered_points == 0
    assert lookup.card_balance(session, card) == 400
    reversal = session.get(JournalEntry, reversed_claim.reversal_entry_id)
    assert reversal.reverses_entry_id == reversed_claim.approval_entry_id
    assert reversal.memo == "중복 신청"
    assert ledger.check_invariants(session).ok


def test_reversing_a_partly_spent_claim_takes_back_what_is_left_and_reports_the_rest(session, make):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, minutes=150)
    claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    _spend(session, card, 2_000)

    reversed_claim = claims_review.reverse_claim(session, claim.id, actor=SYSTEM_ACTOR)

    assert reversed_claim.unrecovered_points == 2_000
    assert lookup.card_balance(session, card) == 0
    reversal = session.get(JournalEntry, reversed_claim.reversal_entry_id)
    assert [p.amount for p in reversal.postings if p.account_id == card.account_id] == [-500]
    assert ledger.check_invariants(session).ok


def test_reversing_a_fully_spent_claim_posts_nothing_and_reports_every_point(session, make):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, minutes=60)
    claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    _spend(session, card, 1_000)
    entries = _entries(session)

    reversed_claim = claims_review.reverse_claim(session, claim.id, actor=SYSTEM_ACTOR)

    assert reversed_claim.state == ClaimState.REVERSED
    assert reversed_claim.unrecovered_points == 1_000
    assert reversed_claim.reversal_entry_id is None
    assert _entries(session) == entries


def test_reversal_takes_the_points_back_from_the_reissued_card(session, make):
    old = make.card()
    claim = make.claim(volunteer=old.volunteer, minutes=60)
    claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    new = lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR).card

    reversed_claim = claims_review.reverse_claim(session, claim.id, actor=SYSTEM_ACTOR)

    assert reversed_claim.unrecovered_points == 0
    assert lookup.card_balance(session, new) == 0


@pytest.mark.parametrize("review", ["none", "rejected", "reversed"])
def test_only_an_approved_claim_can_be_reversed(session, make, review):
    card = make.card(balance=5_000)
    claim = make.claim(volunteer=card.volunteer)
    if review == "rejected":
        claims_review.reject_claim(session, claim.id, actor=SYSTEM_ACTOR, reason="no")
    if review == "reversed":
        claims_review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
        claims_review.reverse_claim(session, claim.id, actor=SYSTEM_ACTOR)
    balance, entries = lookup.card_balance(session, card), _entries(session)

    with pytest.raises(ClaimNotApproved):
        claims_review.reverse_claim(session, claim.id, actor=SYSTEM_ACTOR)

    assert (lookup.card_balance(session, card), _entries(session)) == (balance, entries)


# --- bulk -----------------------------------------------------------------------------------

def test_bulk_approval_reports_each_claim_and_a_bad_one_does_not_stop_the_rest(session, make):
    first_card, second_card = make.card(), make.card()
    first = make.claim(volunteer=first_card.volunteer, minutes=60)
    second = make.claim(volunteer=second_card.volunteer, minutes=120)
    already_rejected = make.claim()
    claims_review.reject_claim(session, already_rejected.id, actor=SYSTEM_ACTOR, reason="duplicate")
    no_card = make.claim(volunteer=make.volunteer())

    result = claims_review.approve_claims(
        session, [first.id, already_rejected.id, 999_999, no_card.id, second.id, first.id], actor=SYSTEM_ACTOR
    )

    assert [claim.id for claim in result.approved] == [first.id, second.id]
    assert {claim_id: type(error) for claim_id, error in result.failed.items()} == {
        already_rejected.id: ClaimAlreadyReviewed,
        999_999: ClaimNotFound,
        no_card.id: VolunteerHasNoCard,
    }
    assert (lookup.card_balance(session, first_card), lookup.card_balance(session, second_card)) == (1_000, 2_000)
    # The claim that failed half-way (state moved, then no card to credit) is left as it was.
    assert claims_review.get_claim(session, no_card.id).state == ClaimState.SUBMITTED
    session.expire_all()
    assert claims_review.get_claim(session, no_card.id).state == ClaimState.SUBMITTED
    assert ledger.check_invariants(session).ok
