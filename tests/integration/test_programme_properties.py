"""Property test: random rule sets, claim sequences, approvals out of order and reversals.

After every step, the points on the volunteer's card equal the brute-force model that replays every
certified minute in date order through the bands and caps of each day's rules.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.claims.rules import ClaimPolicy
from mileage.clock import seoul_today
from mileage.db import make_session_factory
from mileage.programme import book
from tests.support.factories import Factories
from tests.support.programme_model import ModelRules, model_points

TODAY = seoul_today()
FIRST_DAY = TODAY - timedelta(days=800)
# Submission only: every random claim is accepted; what it pays comes from the rule sets.
OPEN_SUBMISSION = ClaimPolicy(max_minutes_per_day=1440, claim_window_days=100_000)


@st.composite
def rule_versions(draw):
    count = draw(st.integers(1, 3))
    days = sorted(draw(st.lists(st.integers(0, 780), min_size=count, max_size=count, unique=True)))
    versions = []
    for offset in days:
        edges = sorted(draw(st.lists(st.integers(1, 30), max_size=2, unique=True)))
        rates = sorted(draw(st.lists(st.integers(0, 1500), min_size=len(edges) + 1, max_size=len(edges) + 1)))
        versions.append(ModelRules(
            effective_from=FIRST_DAY + timedelta(days=offset),
            bands=tuple(zip([0, *edges], rates, strict=True)),
            lifetime_cap=draw(st.none() | st.integers(0, 40_000)),
            yearly_cap=draw(st.none() | st.integers(0, 20_000)),
            blood_fixed_minutes=draw(st.none() | st.integers(1, 300)),
        ))
    return versions


CLAIMS = st.lists(
    st.tuples(st.integers(0, 790), st.integers(1, 600), st.sampled_from(["복지", "복지", "헌혈"])),
    min_size=1, max_size=12, unique_by=lambda claim: claim[0],
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(versions=rule_versions(), claims=CLAIMS, data=st.data())
def test_points_credited_always_equal_the_minute_by_minute_model(engine, versions, claims, data):
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            factory = make_session_factory(connection)
            factory.configure(join_transaction_mode="create_savepoint")
            session = factory()
            # The migration's first rule set stays in force before the first random version.
            versions = [ModelRules(FIRST_DAY - timedelta(days=10_000), ((0, 1000),)), *versions]
            for index, version in enumerate(versions[1:]):
                book.create_rule_set(session, name=f"v{index}", effective_from=version.effective_from,
                                     definition=version.definition(), actor=SYSTEM_ACTOR, allow_past=True)
            make = Factories(session)
            card = make.card()
            organisation = make.organisation()
            submitted = {}
            for offset, minutes, category in claims:
                claim = make.claim(volunteer=card.volunteer, organisation=organisation,
                                   work_date=FIRST_DAY + timedelta(days=offset), start_minute=0, minutes=minutes,
                                   category=category, policy=OPEN_SUBMISSION)
                submitted[claim.id] = (claim.id, claim.work_date, 0, minutes, category)
            order = data.draw(st.permutations(list(submitted)), label="approval order")
            certified: dict[int, tuple] = {}
            bulk = data.draw(st.booleans(), label="bulk")
            if bulk:
                review.approve_claims(session, order, actor=SYSTEM_ACTOR)
                certified.update(submitted)
                assert ledger.get_balance(session, card.account_id) == model_points(versions, list(certified.values()))
            for claim_id in order:
                if not bulk:
                    review.approve_claim(session, claim_id, actor=SYSTEM_ACTOR)
                    certified[claim_id] = submitted[claim_id]
                    assert ledger.get_balance(session, card.account_id) == model_points(
                        versions, list(certified.values()))
                if certified and data.draw(st.integers(0, 3), label="reverse one?") == 0:
                    victim = data.draw(st.sampled_from(sorted(certified)), label="reversed claim")
                    review.reverse_claim(session, victim, actor=SYSTEM_ACTOR)
                    del certified[victim]
                    assert ledger.get_balance(session, card.account_id) == model_points(
                        versions, list(certified.values()))
            session.close()
        finally:
            transaction.rollback()
