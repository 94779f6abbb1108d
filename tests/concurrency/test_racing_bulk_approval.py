"""A bulk approval racing single approvals, another bulk approval, or a card reissue: each claim pays once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle, lookup
from mileage.claims import review
from mileage.clock import seoul_today
from mileage.errors import ClaimAlreadyReviewed
from mileage.models import ClaimState
from tests.concurrency.racing import RACE_TIMEOUT_SECONDS, race
from tests.support.factories import Factories

CLAIMS = 6
MINUTES = 60  # 1,000 points each at the default rate


@pytest.fixture
def submitted_claims(commit) -> tuple[list[int], int]:
    """Committed, submitted claims of one volunteer with an empty card; their ids and the card account."""

    def create(session):
        make = Factories(session)
        card = make.card()
        ids = [
            make.claim(volunteer=card.volunteer, work_date=seoul_today() - timedelta(days=1),
                       start_minute=60 * hour, minutes=MINUTES).id
            for hour in range(8, 8 + CLAIMS)
        ]
        return ids, card.account_id

    return commit(create)


def _paid_once(commit, claim_ids, card_account):
    def read(session):
        states = {review.get_claim(session, claim_id).state for claim_id in claim_ids}
        return states, ledger.get_balance(session, card_account), ledger.check_invariants(session)

    states, balance, report = commit(read)
    assert states == {ClaimState.APPROVED}
    assert balance == CLAIMS * 1_000
    assert report.ok, report.as_dict()


def _approved_ids(outcome) -> list[int]:
    if isinstance(outcome.value, review.BulkResult):
        return [claim.id for claim in outcome.value.approved]
    return [] if outcome.error else [outcome.value]


def test_a_bulk_approval_racing_single_approvals_approves_each_claim_once(concurrent_engine, commit, submitted_claims):
    claim_ids, card_account = submitted_claims

    def work(session, index):
        if index == 0:
            return review.approve_claims(session, claim_ids, actor=SYSTEM_ACTOR)
        return review.approve_claim(session, claim_ids[index - 1], actor=SYSTEM_ACTOR).id

    outcomes = race(concurrent_engine, CLAIMS + 1, work)

    assert all(outcome.error is None or isinstance(outcome.error, ClaimAlreadyReviewed) for outcome in outcomes)
    approved = sorted(claim_id for outcome in outcomes for claim_id in _approved_ids(outcome))
    assert approved == sorted(claim_ids)
    _paid_once(commit, claim_ids, card_account)


def test_two_bulk_approvals_of_the_same_claims_in_opposite_orders_pay_each_once(
    concurrent_engine, commit, submitted_claims
):
    claim_ids, card_account = submitted_claims
    orders = [claim_ids, list(reversed(claim_ids))]

    outcomes = race(
        concurrent_engine, 2, lambda session, index: review.approve_claims(session, orders[index], actor=SYSTEM_ACTOR)
    )

    assert [outcome.error for outcome in outcomes] == [None, None]
    approved = sorted(claim_id for outcome in outcomes for claim_id in _approved_ids(outcome))
    assert approved == sorted(claim_ids)
    refused = [error for outcome in outcomes for error in outcome.value.failed.values()]
    assert all(isinstance(error, ClaimAlreadyReviewed) for error in refused)
    _paid_once(commit, claim_ids, card_account)


@pytest.mark.postgres_only
def test_a_card_reissued_between_picking_and_locking_it_sends_the_points_to_the_new_card(
    concurrent_engine, commit, submitted_claims
):
    """The batch has found the volunteer's card when the reissue commits: the points follow the volunteer."""
    claim_ids, _old_account = submitted_claims
    volunteer_id = commit(lambda session: review.get_claim(session, claim_ids[0]).volunteer_id)
    batch_picked_card = threading.Event()
    reissue_committed = threading.Event()

    def pause_before_locking_the_card(_conn, _cursor, statement, _params, _context, _executemany):
        if statement.startswith("SELECT cards.volunteer_id, cards.account_id, cards.status") and not (
            batch_picked_card.is_set()
        ):
            batch_picked_card.set()
            assert reissue_committed.wait(RACE_TIMEOUT_SECONDS)

    failures = []

    def approve():
        try:
            commit(lambda session: review.approve_claims(session, claim_ids, actor=SYSTEM_ACTOR))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    def reissue():
        try:
            assert batch_picked_card.wait(RACE_TIMEOUT_SECONDS)
            commit(lambda session: lifecycle.reissue_card(
                session, lookup.current_card(session, volunteer_id).id, actor=SYSTEM_ACTOR
            ))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            reissue_committed.set()

    event.listen(concurrent_engine, "before_cursor_execute", pause_before_locking_the_card)
    try:
        threads = [threading.Thread(target=approve), threading.Thread(target=reissue)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(RACE_TIMEOUT_SECONDS)
    finally:
        event.remove(concurrent_engine, "before_cursor_execute", pause_before_locking_the_card)
    assert failures == []

    def read(session):
        card = lookup.current_card(session, volunteer_id)
        return card.status, lookup.card_balance(session, card), ledger.check_invariants(session)

    status, balance, report = commit(read)
    assert status == "active"
    assert balance == CLAIMS * 1_000
    assert report.ok, report.as_dict()
