"""Rule sets in the database: effective dates, bands, caps, carried minutes, categories, versions, what-if."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.claims.rules import ClaimPolicy
from mileage.clock import seoul_today as today
from mileage.errors import (
    ClaimBelowMinimumAge,
    InvalidRuleSet,
    RulePresetNotFound,
    RuleSetRewritesPaidClaims,
    RuleSetStartsInPast,
)
from mileage.models import AuditEvent
from mileage.programme import book, presets, whatif

LONG_AGO = today() - timedelta(days=400)
OPEN_SUBMISSION = ClaimPolicy(max_minutes_per_day=1440, claim_window_days=100_000)


def load(session, name, effective_from=LONG_AGO):
    terms = presets.preset(name)
    return book.create_rule_set(session, name=terms["name"], effective_from=effective_from,
                                definition=terms["definition"], actor=SYSTEM_ACTOR, allow_past=True, preset=name)


def approve(session, make, card, *, day, minutes, start=0, category="복지"):
    claim = make.claim(volunteer=card.volunteer, work_date=day, start_minute=start, minutes=minutes,
                       category=category, policy=OPEN_SUBMISSION)
    return review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)


def days_from(first: date):
    day = first
    while True:
        yield day
        day += timedelta(days=1)


def test_the_default_rule_set_pays_today_s_flat_rate(session, make):
    card = make.card()
    claim = approve(session, make, card, day=today() - timedelta(days=1), minutes=150)
    assert claim.points == 2_500 and claim.rule_set_version == 1 and claim.withheld_points == 0
    assert ledger.get_balance(session, card.account_id) == 2_500


def test_the_nowon_preset_pays_nothing_for_50_hours_then_100_an_hour(session, make):
    load(session, "nowon-2011")
    card = make.card()
    days = days_from(LONG_AGO)
    # 49 hours in 7-hour days pay nothing.
    for _ in range(7):
        assert approve(session, make, card, day=next(days), minutes=7 * 60).points == 0
    # A 3-hour claim crossing the 50-hour mark pays only the 2 hours after it.
    crossing = approve(session, make, card, day=next(days), minutes=3 * 60)
    assert crossing.points == 200
    assert approve(session, make, card, day=next(days), minutes=60).points == 100
    assert ledger.get_balance(session, card.account_id) == 300


def test_minutes_carry_over_and_a_reversal_takes_back_the_remainder(session, make):
    book.create_rule_set(session, name="100/h", effective_from=LONG_AGO, actor=SYSTEM_ACTOR, allow_past=True,
                         definition={"bands": [{"from_hours": 0, "points_per_hour": 100}]})
    card = make.card()
    days = days_from(LONG_AGO)
    claims = [approve(session, make, card, day=next(days), minutes=61) for _ in range(20)]
    # 20 h 20 min at 100 an hour: 2,033 points, exactly what one claim of 1,220 minutes pays.
    assert ledger.get_balance(session, card.account_id) == 1_220 * 100 // 60 == 2_033
    assert [claim.points for claim in claims[:3]] == [101, 102, 102]
    last = review.reverse_claim(session, claims[-1].id, actor=SYSTEM_ACTOR)
    assert last.reversal_points == claims[-1].points and last.unrecovered_points == 0
    assert ledger.get_balance(session, card.account_id) == 1_159 * 100 // 60
    for claim in claims[:-1]:
        review.reverse_claim(session, claim.id, actor=SYSTEM_ACTOR)
    assert ledger.get_balance(session, card.account_id) == 0


def test_the_lifetime_cap_splits_a_claim_and_says_what_it_withheld(session, make):
    load(session, "nw-2018")  # 700 an hour, at most 50,000
    card = make.card()
    days = days_from(LONG_AGO)
    for _ in range(10):
        approve(session, make, card, day=next(days), minutes=7 * 60)  # 70 h: 49,000
    capped = approve(session, make, card, day=next(days), minutes=3 * 60)
    assert (capped.points, capped.withheld_points, capped.withheld_by) == (1_000, 1_100, "lifetime_cap")
    after = approve(session, make, card, day=next(days), minutes=60)
    assert (after.points, after.withheld_points, after.withheld_by) == (0, 700, "lifetime_cap")
    assert ledger.get_balance(session, card.account_id) == 50_000
    event = session.query(AuditEvent).filter_by(action="claim.approve", target_id=str(after.id)).one()
    assert event.after["withheld_points"] == 700


def test_the_yearly_cap_is_per_seoul_calendar_year(session, make):
    book.create_rule_set(session, name="yearly", effective_from=date(today().year - 1, 12, 1), actor=SYSTEM_ACTOR,
                         allow_past=True, definition={"bands": [{"from_hours": 0, "points_per_hour": 1000}],
                                                      "yearly_cap": 5_000})
    card = make.card()
    december = approve(session, make, card, day=date(today().year - 1, 12, 30), minutes=8 * 60)
    assert (december.points, december.withheld_points, december.withheld_by) == (5_000, 3_000, "yearly_cap")
    january = approve(session, make, card, day=date(today().year, 1, 1), minutes=2 * 60)
    assert january.points == 2_000 and january.withheld_points == 0


def test_a_claim_is_paid_by_the_rules_of_its_day_not_of_its_approval(session, make):
    book.create_rule_set(session, name="old", effective_from=LONG_AGO, actor=SYSTEM_ACTOR, allow_past=True,
                         definition={"bands": [{"from_hours": 0, "points_per_hour": 300}]})
    card = make.card()
    early = make.claim(volunteer=card.volunteer, work_date=LONG_AGO + timedelta(days=1), minutes=60,
                       policy=OPEN_SUBMISSION)
    book.create_rule_set(session, name="new", effective_from=today() - timedelta(days=5), actor=SYSTEM_ACTOR,
                         allow_past=True, definition={"bands": [{"from_hours": 0, "points_per_hour": 900}]})
    late = make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=2), minutes=60)
    assert review.approve_claim(session, late.id, actor=SYSTEM_ACTOR).points == 900
    assert review.approve_claim(session, early.id, actor=SYSTEM_ACTOR).points == 300
    assert ledger.get_balance(session, card.account_id) == 1_200


def test_blood_donation_counts_four_hours_and_other_categories_can_count_nothing(session, make):
    book.create_rule_set(session, name="categories", effective_from=LONG_AGO, actor=SYSTEM_ACTOR, allow_past=True,
                         definition={"bands": [{"from_hours": 0, "points_per_hour": 100}],
                                     "categories": {"헌혈": {"fixed_minutes": 240}, "행사": {"counts": False}}})
    card = make.card()
    blood = approve(session, make, card, day=LONG_AGO + timedelta(days=1), minutes=30, category="헌혈")
    assert (blood.points, blood.recognised_minutes) == (400, 240)
    event = approve(session, make, card, day=LONG_AGO + timedelta(days=2), minutes=120, category="행사")
    assert (event.points, event.recognised_minutes) == (0, 0)


def test_a_new_version_starts_today_or_later_and_after_every_paid_day(session, make):
    card = make.card()
    with pytest.raises(RuleSetStartsInPast):
        book.create_rule_set(session, name="x", effective_from=today() - timedelta(days=1), actor=SYSTEM_ACTOR,
                             definition={})
    claim = make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=3), minutes=60)
    review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    with pytest.raises(RuleSetRewritesPaidClaims):
        book.create_rule_set(session, name="x", effective_from=today() - timedelta(days=3), actor=SYSTEM_ACTOR,
                             definition={}, allow_past=True)
    row = book.create_rule_set(session, name="next month", effective_from=today() + timedelta(days=30),
                               actor=SYSTEM_ACTOR, definition={"bands": [{"from_hours": 0, "points_per_hour": 50}]})
    assert book.current_rule_set(session).bands[0].points_per_hour == 1000
    assert book.rule_set_on(session, today() + timedelta(days=30)).version == row.version
    assert session.query(AuditEvent).filter_by(action="rule_set.create", target_id=str(row.version)).count() == 1


@pytest.mark.parametrize("definition, field", [
    ({"bands": [{"from_hours": 5, "points_per_hour": 100}]}, "bands"),
    ({"bands": [{"from_hours": 0, "points_per_hour": 200}, {"from_hours": 10, "points_per_hour": 100}]}, "bands"),
    ({"lifetime_cap": -1}, "lifetime_cap"),
    ({"max_minutes_per_day": 0}, "max_minutes_per_day"),
    ({"tiers": [{"name": "그린", "from_hours": 10}]}, "tiers"),
    ({"categories": {"헌혈": {"fixed_minutes": 0}}}, "fixed_minutes"),
])
def test_a_rule_set_that_cannot_be_applied_is_refused_naming_the_field(session, definition, field):
    with pytest.raises(InvalidRuleSet) as refused:
        book.create_rule_set(session, name="bad", effective_from=today(), actor=SYSTEM_ACTOR, definition=definition)
    assert refused.value.params["field"] == field


def test_the_minimum_age_refuses_a_younger_volunteer_s_claim(session, make):
    load(session, "seodaemun-2024")
    young = make.card(volunteer=make.volunteer(birth_date=today().replace(year=today().year - 17)))
    with pytest.raises(ClaimBelowMinimumAge):
        make.claim(volunteer=young.volunteer, policy=None)
    adult = make.card(volunteer=make.volunteer(birth_date=date(1980, 5, 5)))
    assert make.claim(volunteer=adult.volunteer, policy=None).state == "submitted"


def test_an_unknown_preset_is_refused():
    with pytest.raises(RulePresetNotFound):
        presets.preset("gangnam-1999")


def test_the_what_if_equals_the_real_posting_when_the_rules_do_not_change(session, make):
    load(session, "nowon-2011")
    volunteers = [make.card() for _ in range(3)]
    days = days_from(today() - timedelta(days=330))
    for index, card in enumerate(volunteers):
        for _ in range(4 + 3 * index):
            approve(session, make, card, day=next(days), minutes=7 * 60 + 13)
    current = book.current_rule_set(session).definition()
    result = whatif.what_if(session, current)
    assert result.what_if_points == result.actual_points > 0
    assert all(row.difference == 0 for row in result.volunteers) and len(result.volunteers) == 3
    assert result.actual_points == sum(ledger.get_balance(session, card.account_id) for card in volunteers)
    doubled = {**current, "bands": [{"from_hours": 0, "points_per_hour": 0},
                                    {"from_hours": 50, "points_per_hour": 200}]}
    # Twice the rate pays twice as much, give or take the carried remainder of each volunteer.
    assert 0 <= whatif.what_if(session, doubled).what_if_points - 2 * result.actual_points <= len(volunteers)
    # Nothing was posted by either what-if.
    assert result.actual_points == sum(ledger.get_balance(session, card.account_id) for card in volunteers)


def test_seodaemun_pays_only_volunteers_certified_10_hours_the_previous_year(session, make):
    load(session, "seodaemun-2024")
    card = make.card()
    last_year = date(today().year - 1, 12, 1)
    this_year = max(date(today().year, 1, 1), today() - timedelta(days=1))

    first = approve(session, make, card, day=last_year, minutes=6 * 60)  # nothing the year before that
    assert (first.points, first.withheld_points, first.withheld_by) == (0, 6_000, "previous_year_hours")
    now = approve(session, make, card, day=this_year, minutes=2 * 60)  # last year: 6 h of the 10 needed
    assert (now.points, now.withheld_points, now.withheld_by) == (0, 2_000, "previous_year_hours")
    assert ledger.get_balance(session, card.account_id) == 0

    # Hours of last year approved late make this year's hours earn: the approval pays the difference.
    late = approve(session, make, card, day=last_year + timedelta(days=1), minutes=5 * 60)
    assert late.points == 2_000
    assert ledger.get_balance(session, card.account_id) == 2_000
    # The rule is part of the stored terms, and a rule set without it pays as before.
    assert book.current_rule_set(session).min_hours_previous_year == 10
    assert book.current_rule_set(session).definition()["min_hours_previous_year"] == 10
