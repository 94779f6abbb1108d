"""Approvals of one volunteer's claims racing near a cap: the cap is never exceeded.

Each racer approves a different claim, so the claim row locks do not serialise them: only the
volunteer and earning row locks do. Without them, every racer would read the same remaining cap.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.claims.rules import ClaimPolicy
from mileage.clock import seoul_today
from mileage.models import Claim, ClaimState
from mileage.programme import book
from tests.concurrency.racing import race
from tests.support.factories import Factories

pytestmark = pytest.mark.postgres_only

RACERS = 8
LIFETIME_CAP = 3_500
YEARLY_CAP = 2_500
OPEN_SUBMISSION = ClaimPolicy(max_minutes_per_day=1440, claim_window_days=100_000)


@pytest.fixture(scope="module")
def capped_rules(concurrent_engine):
    """1,000 points an hour, at most 3,500 in a lifetime and 2,500 a year, since long ago."""
    from mileage.db import make_session_factory, run_in_transaction

    run_in_transaction(make_session_factory(concurrent_engine), lambda session: book.create_rule_set(
        session, name="capped", effective_from=seoul_today() - timedelta(days=2_000), actor=SYSTEM_ACTOR,
        allow_past=True, definition={"bands": [{"from_hours": 0, "points_per_hour": 1000}],
                                     "lifetime_cap": LIFETIME_CAP, "yearly_cap": YEARLY_CAP,
                                     "max_minutes_per_day": 1440, "claim_window_days": 100_000}))


def _claims_of_one_volunteer(commit, days) -> tuple[list[int], int]:
    def create(session):
        make = Factories(session)
        card = make.card()
        organisation = make.organisation()
        ids = [make.claim(volunteer=card.volunteer, organisation=organisation, work_date=day, start_minute=0,
                          minutes=60, policy=OPEN_SUBMISSION).id for day in days]
        return ids, card.account_id

    return commit(create)


def _totals(commit, claim_ids, card_account):
    def read(session):
        paid, withheld = session.execute(
            select(func.sum(Claim.points), func.sum(Claim.withheld_points))
            .where(Claim.id.in_(claim_ids), Claim.state == str(ClaimState.APPROVED))
        ).one()
        return ledger.get_balance(session, card_account), paid, withheld, ledger.check_invariants(session).ok

    return commit(read)


def test_single_approvals_racing_never_pay_past_the_yearly_cap(concurrent_engine, commit, capped_rules):
    today = seoul_today()
    days = [today - timedelta(days=1 + index) for index in range(RACERS) if (today - timedelta(days=1 + index)).year
            == today.year] or [today]
    claim_ids, card_account = _claims_of_one_volunteer(commit, days[:RACERS])
    outcomes = race(concurrent_engine, len(claim_ids),
                    lambda session, index: review.approve_claim(session, claim_ids[index], actor=SYSTEM_ACTOR).points)
    assert all(outcome.error is None for outcome in outcomes), [outcome.error for outcome in outcomes]
    balance, paid, withheld, ok = _totals(commit, claim_ids, card_account)
    expected = min(YEARLY_CAP, 1000 * len(claim_ids))
    assert balance == paid == expected and ok
    assert withheld == 1000 * len(claim_ids) - expected


def test_bulk_and_single_approvals_racing_never_pay_past_the_lifetime_cap(concurrent_engine, commit, capped_rules):
    # Spread over several calendar years, so the lifetime cap is the one that binds.
    first = seoul_today() - timedelta(days=1_800)
    days = [first + timedelta(days=200 * index) for index in range(RACERS)]
    claim_ids, card_account = _claims_of_one_volunteer(commit, days)
    halves = [claim_ids[: RACERS // 2], claim_ids[RACERS // 2:]]

    def approve(session, index):
        if index < 2:
            return len(review.approve_claims(session, halves[index], actor=SYSTEM_ACTOR).approved)
        return review.approve_claim(session, claim_ids[index], actor=SYSTEM_ACTOR).points

    outcomes = race(concurrent_engine, RACERS, approve)
    balance, paid, withheld, ok = _totals(commit, claim_ids, card_account)
    assert balance == paid == LIFETIME_CAP and ok, [outcome.error for outcome in outcomes]
    approved = commit(lambda session: session.scalar(
        select(func.count()).where(Claim.id.in_(claim_ids), Claim.state == str(ClaimState.APPROVED))))
    assert approved == RACERS
    assert withheld == 1000 * RACERS - LIFETIME_CAP
