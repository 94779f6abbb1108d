"""A generated year under banded, capped rules with tiers and tier benefits; the new reports reconcile.

Points withheld by caps, tier counts and movements, and tier benefits used are each checked against
the generator's own tally, against the ledger, and against each other (paid + withheld = earned).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from contextlib import ExitStack
from datetime import date, datetime, time, timedelta
from unittest import mock

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.claims.rules import ClaimPolicy
from mileage.clock import SEOUL
from mileage.models import Claim, EntryKind, JournalEntry, Posting, VolunteerTier
from mileage.programme import book
from mileage.programme.book import load_rule_book
from mileage.programme.earnings import CertifiedClaim, replay
from mileage.reports import hours, periods, programme
from mileage.shops import benefits, counter
from tests.support.programme_model import ModelRules, model_points

YEAR = 2025
OPEN_SUBMISSION = ClaimPolicy(max_minutes_per_day=1440, claim_window_days=100_000)
RULES = ModelRules(date(YEAR, 1, 1), ((0, 0), (10, 300), (40, 600)), lifetime_cap=30_000, yearly_cap=20_000)
TIERS = [{"name": "일반", "from_hours": 0}, {"name": "그린", "from_hours": 20, "keep_hours": 10},
         {"name": "골드", "from_hours": 60, "keep_hours": 30}]


def moment(day: date, hour: int = 18) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SEOUL)


def at(when: datetime) -> ExitStack:
    stack = ExitStack()
    stack.enter_context(mock.patch("mileage.ledger.posting.utc_now", return_value=when))
    stack.enter_context(mock.patch("mileage.claims.review.utc_now", return_value=when))
    stack.enter_context(mock.patch("mileage.tiers.review.seoul_today", return_value=when.astimezone(SEOUL).date()))
    return stack


@pytest.fixture
def year(session, make):
    rng = random.Random(10)
    book.create_rule_set(session, name="generated", effective_from=RULES.effective_from, actor=SYSTEM_ACTOR,
                         allow_past=True, definition={**RULES.definition(), "tiers": TIERS})
    organisation = make.organisation()
    cards = [make.card() for _ in range(6)]
    shops = [make.merchant(name=f"등급 상점 {n}") for n in range(2)]
    for shop in shops:
        benefits.set_tier_benefit(session, shop.id, rate_bp=1000, min_tier="그린", actor=SYSTEM_ACTOR)
    tally = {"claims": defaultdict(list), "benefits": Counter()}
    for index, card in enumerate(cards):
        days = sorted(rng.sample(range(0, 360), 8 + 6 * index))
        for offset in days:
            day = date(YEAR, 1, 1) + timedelta(days=offset)
            claim = make.claim(volunteer=card.volunteer, organisation=organisation, work_date=day, start_minute=9 * 60,
                               minutes=rng.choice([180, 240, 300, 420, 61]), policy=OPEN_SUBMISSION)
            with at(moment(day)):
                review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
            tally["claims"][card.volunteer_id].append(claim)
            if rng.random() < 0.3:
                shop = rng.choice(shops)
                benefit = benefits.benefit_for(session, shop.id, card, 20_000)
                when = moment(day, 20)
                if benefits.record_benefit_use(session, shop.id, card, benefit, 20_000, now=when):
                    tally["benefits"][(when.strftime("%Y-%m"), shop.id)] += benefit.amount
    return cards, shops, tally


def test_paid_and_withheld_reconcile_with_the_ledger_the_hours_report_and_the_model(session, year):
    cards, _, tally = year
    period = periods.report_period(date(YEAR, 1, 1), date(YEAR, 12, 31))
    withheld = programme.withheld_report(session, period)
    by_hours = {row.month: row.points for row in hours.hours_report(session, period, group_by=("month",)).rows}
    assert {row.month: row.paid_points for row in withheld.rows if row.paid_points} == {
        month: points for month, points in by_hours.items() if points}
    credited = session.scalar(
        select(func.sum(Posting.amount)).join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(JournalEntry.kind == EntryKind.CLAIM_APPROVAL, Posting.amount > 0))
    assert withheld.totals["paid_points"] == credited
    assert withheld.totals["withheld_points"] > 0 and withheld.totals["withheld_yearly_cap"] > 0
    rule_book = load_rule_book(session)
    earned = 0
    for card in cards:
        claims = tally["claims"][card.volunteer_id]
        certified = [CertifiedClaim(c.id, c.work_date, c.start_minute, c.minutes, c.category) for c in claims]
        earned += replay(certified, rule_book.on, caps=False).points
        model = model_points([RULES], [(c.id, c.work_date, c.start_minute, c.minutes, c.category) for c in claims])
        assert ledger.get_balance(session, card.account_id) == model
    assert withheld.totals["paid_points"] + withheld.totals["withheld_points"] == earned


def test_tier_counts_add_up_from_the_movements_and_match_the_volunteers(session, year):
    period = periods.report_period(date(YEAR, 1, 1), date(YEAR, 12, 31))
    report = programme.tiers_report(session, period)
    counts = {row.tier: row.volunteers_at_end for row in report.rows if row.year == YEAR and row.volunteers_at_end}
    assert counts == dict(Counter(session.scalars(select(VolunteerTier.tier))))
    for row in report.rows:
        assert row.volunteers_at_end == row.moved_in - row.moved_out
    assert sum(m.changes for m in report.movements) == report.totals["changes"] > len(year[0])
    assert {m.to_tier for m in report.movements} == {"일반", "그린", "골드"}


def test_benefit_uses_per_shop_and_month_match_and_move_no_points(session, year):
    _, shops, tally = year
    period = periods.report_period(date(YEAR, 1, 1), date(YEAR, 12, 31))
    report = programme.benefit_uses_report(session, period)
    assert {(row.month, row.merchant_id): row.benefit_amount for row in report.rows} == dict(tally["benefits"])
    assert report.totals["benefit_amount"] == sum(tally["benefits"].values()) > 0
    for shop in shops:
        assert ledger.get_balance(session, shop.account_id) == 0
    assert session.scalar(select(func.count()).select_from(Claim).where(Claim.withheld_points > 0)) > 0
    assert counter.BASIS_POINTS == benefits.BASIS_POINTS
