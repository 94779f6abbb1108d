"""A cause's yearly cap per volunteer (Nowon's food market: 5,000 a year) and its campaign target."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.db import run_in_transaction
from mileage.donations import causes, donate
from mileage.errors import DonationTargetReached, DonationYearlyCapReached
from mileage.models import Donation


def give(session, card, cause, points, key=None):
    return donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=points,
                                idempotency_key=key)


def test_a_volunteer_gives_at_most_the_yearly_cap_and_the_refusal_says_what_is_left(session, make):
    food_market = make.cause(name="노원 푸드마켓", yearly_cap_per_volunteer=5_000)
    card = make.card(balance=20_000)
    give(session, card, food_market, 3_000)
    with pytest.raises(DonationYearlyCapReached) as refused:
        give(session, card, food_market, 2_500, key="over-the-cap")
    assert refused.value.params == {"cap": 5_000, "remaining": 2_000}
    assert "5000" in refused.value.message() or "5,000" in refused.value.message()
    give(session, card, food_market, 2_000)
    assert ledger.get_balance(session, card.account_id) == 15_000
    # Another volunteer has a cap of their own.
    other = make.card(balance=6_000)
    give(session, other, food_market, 5_000)


def test_the_cap_starts_again_in_the_next_seoul_year(session, make):
    food_market = make.cause(yearly_cap_per_volunteer=5_000)
    card = make.card(balance=20_000)
    give(session, card, food_market, 5_000)
    with mock.patch("mileage.donations.donate.seoul_today", return_value=date(2099, 1, 1)):
        give(session, card, food_market, 5_000)
    assert session.query(Donation).filter_by(volunteer_id=card.volunteer_id).count() == 2


def test_a_refused_key_stays_refused(session_factory, session, make):
    food_market = make.cause(yearly_cap_per_volunteer=1_000)
    card = make.card(balance=5_000)
    session.commit()
    key = donate.donation_ledger_key("volunteer:1", "same-key")
    with pytest.raises(DonationYearlyCapReached):
        run_in_transaction(session_factory, lambda unit: give(unit, card, food_market, 1_500, key=key))
    causes.edit_cause(session, food_market.id, yearly_cap_per_volunteer=None, actor=SYSTEM_ACTOR)
    session.commit()
    with pytest.raises(DonationYearlyCapReached):
        run_in_transaction(session_factory, lambda unit: give(unit, card, food_market, 1_500, key=key))
    assert ledger.get_balance(session, card.account_id) == 5_000


def test_the_campaign_target_is_never_passed(session, make):
    drive = make.cause(target_points=10_000)
    first, second = make.card(balance=8_000), make.card(balance=8_000)
    give(session, first, drive, 7_000)
    with pytest.raises(DonationTargetReached) as refused:
        give(session, second, drive, 4_000)
    assert refused.value.params == {"target": 10_000, "remaining": 3_000}
    give(session, second, drive, 3_000)
    assert sum(d.points for d in session.query(Donation).filter_by(cause_id=drive.id)) == 10_000


def test_the_admin_api_sets_and_shows_the_yearly_cap(client, login_as):
    _, staff = login_as("staff")
    created = client.post("/admin/causes", json={"name": "노원 푸드마켓", "receiving_organisation": "노원구",
                                                 "yearly_cap_per_volunteer": 5_000}, headers=staff)
    assert created.status_code == 201, created.json
    assert created.json["yearly_cap_per_volunteer"] == 5_000
