"""Two reviewers approving the same claim at the same moment: one approval, one credit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle, lookup
from mileage.claims import review
from mileage.claims.rules import DEFAULT_POLICY
from mileage.clock import seoul_today
from mileage.errors import ClaimAlreadyReviewed
from mileage.models import ClaimState, Posting
from tests.concurrency.racing import RACE_TIMEOUT_SECONDS, race
from tests.support.factories import Factories

REVIEWERS = 2
MINUTES = 150  # 2.5 hours: 2,500 points at the default 1,000 points per hour


@pytest.fixture
def submitted_claim(commit) -> tuple[int, int]:
    """A committed, submitted claim of a volunteer with an empty card; the claim id and card account."""

    def create(session):
        make = Factories(session)
        card = make.card()
        claim = make.claim(
            volunteer=card.volunteer, work_date=seoul_today() - timedelta(days=1), minutes=MINUTES
        )
        return claim.id, card.account_id

    return commit(create)


def _outcome_in_database(commit, claim_id, card_account):
    def read(session):
        claim = review.get_claim(session, claim_id)
        approvals = session.scalar(
            select(func.count(func.distinct(Posting.entry_id))).where(Posting.account_id == card_account)
        )
        balance = ledger.get_balance(session, card_account)
        return claim.state, claim.approval_entry_id, approvals, balance, ledger.check_invariants(session)

    return commit(read)


def _assert_approved_exactly_once(outcomes, commit, claim_id, card_account):
    approved = [outcome for outcome in outcomes if outcome.error is None]
    refused = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(approved) == 1
    assert len(refused) == REVIEWERS - 1
    assert all(isinstance(error, ClaimAlreadyReviewed) for error in refused), refused
    assert refused[0].params["state"] == ClaimState.APPROVED
    state, approval_entry_id, approvals, balance, report = _outcome_in_database(commit, claim_id, card_account)
    assert state == ClaimState.APPROVED
    assert approvals == 1
    assert approval_entry_id == approved[0].value
    assert balance == DEFAULT_POLICY.points_for(MINUTES) == 2_500
    assert report.ok, report.as_dict()


def test_two_reviewers_approving_at_once_credit_the_card_once(concurrent_engine, commit, submitted_claim):
    claim_id, card_account = submitted_claim

    outcomes = race(
        concurrent_engine,
        REVIEWERS,
        lambda session, index: review.approve_claim(session, claim_id, actor=SYSTEM_ACTOR).approval_entry_id,
    )

    _assert_approved_exactly_once(outcomes, commit, claim_id, card_account)


@pytest.mark.postgres_only
def test_two_reviewers_who_both_saw_it_submitted_credit_the_card_once(concurrent_engine, commit, submitted_claim):
    """Both reviewers load the claim before either approves: the conditional state change arbitrates."""
    claim_id, card_account = submitted_claim
    both_have_read = threading.Barrier(REVIEWERS)

    def approve_after_both_read(session, _index):
        seen = review.get_claim(session, claim_id)
        assert seen.state == ClaimState.SUBMITTED
        both_have_read.wait(timeout=RACE_TIMEOUT_SECONDS)
        # approve_claim finds the claim already loaded in this session, still "submitted".
        return review.approve_claim(session, claim_id, actor=SYSTEM_ACTOR).approval_entry_id

    outcomes = race(concurrent_engine, REVIEWERS, approve_after_both_read)

    _assert_approved_exactly_once(outcomes, commit, claim_id, card_account)


@pytest.mark.postgres_only
def test_a_card_reissued_while_its_claim_is_being_approved_keeps_every_point(
    concurrent_engine, commit, submitted_claim, monkeypatch
):
    """The approval has picked the card when the reissue commits: the points must follow the volunteer."""
    claim_id, _old_account = submitted_claim
    volunteer_id = commit(lambda session: review.get_claim(session, claim_id).volunteer_id)
    approval_picked_card = threading.Event()
    reissue_committed = threading.Event()
    real_current_card = lookup.current_card

    def current_card_then_let_the_reissue_commit(session, volunteer_id):
        card = real_current_card(session, volunteer_id)
        if not approval_picked_card.is_set():
            approval_picked_card.set()
            assert reissue_committed.wait(RACE_TIMEOUT_SECONDS)
        return card

    monkeypatch.setattr(lookup, "current_card", current_card_then_let_the_reissue_commit)
    failures = []

    def approve():
        try:
            commit(lambda session: review.approve_claim(session, claim_id, actor=SYSTEM_ACTOR))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    def reissue():
        try:
            assert approval_picked_card.wait(RACE_TIMEOUT_SECONDS)
            commit(lambda session: lifecycle.reissue_card(
                session, lookup.current_card(session, volunteer_id).id, actor=SYSTEM_ACTOR
            ))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            reissue_committed.set()

    threads = [threading.Thread(target=approve), threading.Thread(target=reissue)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_TIMEOUT_SECONDS)
    assert failures == []

    def read(session):
        card = real_current_card(session, volunteer_id)
        return card.status, lookup.card_balance(session, card), ledger.check_invariants(session)

    status, balance, report = commit(read)
    assert status == "active"
    assert balance == DEFAULT_POLICY.points_for(MINUTES)
    assert report.ok, report.as_dict()
