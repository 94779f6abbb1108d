"""Donations racing for a cause's campaign target and one volunteer's yearly cap: neither is passed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mileage.donations import donate
from mileage.models import Donation
from tests.concurrency.racing import race
from tests.support.factories import Factories

pytestmark = pytest.mark.postgres_only

RACERS = 8


def test_many_donors_racing_for_the_last_of_a_target_never_pass_it(concurrent_engine, commit):
    def set_up(session):
        make = Factories(session)
        cause = make.cause(target_points=5_000)
        return cause.id, [make.card(balance=2_000).volunteer_id for _ in range(RACERS)]

    cause_id, donors = commit(set_up)
    outcomes = race(concurrent_engine, RACERS, lambda session, index: donate.donate_points(
        session, volunteer_id=donors[index], cause_id=cause_id, points=1_000, idempotency_key=f"t-{index}").id)
    raised = commit(lambda session: session.scalar(select(func.sum(Donation.points)).where(
        Donation.cause_id == cause_id)))
    assert raised == 5_000
    assert sum(outcome.error is None for outcome in outcomes) == 5
    assert {type(outcome.error).__name__ for outcome in outcomes if outcome.error} == {"DonationTargetReached"}


def test_one_volunteer_racing_themself_never_passes_the_yearly_cap(concurrent_engine, commit):
    def set_up(session):
        make = Factories(session)
        cause = make.cause(yearly_cap_per_volunteer=5_000)
        return cause.id, make.card(balance=50_000).volunteer_id

    cause_id, volunteer_id = commit(set_up)
    race(concurrent_engine, RACERS, lambda session, index: donate.donate_points(
        session, volunteer_id=volunteer_id, cause_id=cause_id, points=2_000, idempotency_key=f"y-{index}").id)
    given = commit(lambda session: session.scalar(select(func.sum(Donation.points)).where(
        Donation.cause_id == cause_id)))
    assert given == 4_000
