"""A year of activity, then every report checked against what was done and against direct ledger sums.

The year is generated once into a scratch database of this module's own, since every test only reads it.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from unittest import mock

import pytest
from sqlalchemy import select

from mileage import expiry, ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle, lookup
from mileage.claims import review, rules, submission
from mileage.clock import SEOUL
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.donations import disbursements
from mileage.donations import donate as donations_donate
from mileage.migrations_runner import upgrade_database
from mileage.models import Account, AccountKind, JournalEntry, Posting
from mileage.reports import donations, hours, periods, shops, volunteers
from mileage.reports import points as reports_points
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories

YEAR = 2025
CATEGORIES = ("복지", "환경", "교육")


def month_of(moment: datetime) -> str:
    return moment.astimezone(SEOUL).strftime("%Y-%m")


@contextmanager
def clock_at(moment: datetime):
    with mock.patch("mileage.ledger.posting.utc_now", return_value=moment):
        yield


class YearOfActivity:
    """Generates a year of a small centre's activity and keeps its own account of what it did."""

    def __init__(self, session, make, seed: int = 2025):
        self.session, self.make, self.random = session, make, random.Random(seed)
        self.organisations = [make.organisation() for _ in range(3)]
        merchants = [make.merchant(name=f"노원 상점 {n}") for n in range(2)]
        self.shops = [session.get(Account, merchant.account_id) for merchant in merchants]
        self.shop_names = {merchant.account_id: (merchant.id, merchant.name) for merchant in merchants}
        self.holds = ledger.system_account(session, AccountKind.HOLDS)
        self.causes = [make.cause(), make.cause()]
        self.volunteers: list = []
        self.cards: dict[int, object] = {}
        self.claims: list = []
        self.hours = defaultdict(Counter)  # (month, organisation id, category) -> figures
        self.recognised = []  # (month, volunteer id, minutes, points) of claims that stay approved
        self.registered = Counter()
        self.flows = defaultdict(Counter)  # month -> issued, reversed, redeemed, ...
        self.shop_flows = defaultdict(Counter)  # (month, shop account id) -> figures
        self.cause_flows = defaultdict(Counter)  # (month, cause id) -> figures
        self.refundable = Counter()  # (volunteer id, shop account id) -> points
        self.open_holds: list[tuple[int, int]] = []

    def moment(self, month: int, day: int, hour: int = 10) -> datetime:
        return datetime.combine(date(YEAR, month, day), time(hour, self.random.randrange(60)), tzinfo=SEOUL)

    def holder(self, volunteer_id):
        return lookup.current_card(self.session, volunteer_id)

    def balance(self, volunteer_id) -> int:
        return ledger.get_balance(self.session, self.holder(volunteer_id).account_id)

    def register(self, when: datetime):
        volunteer = self.make.volunteer()
        volunteer.created_at = when
        self.cards[volunteer.id] = self.make.card(volunteer=volunteer)
        self.volunteers.append(volunteer)
        self.registered[month_of(when)] += 1
        return volunteer

    def run(self):
        # Points credited long ago, so that expiry has something to do this year.
        for _ in range(3):
            volunteer = self.register(datetime(2019, 2, 1, 10, tzinfo=SEOUL))
            with clock_at(datetime(2019, 2, 1, 11, tzinfo=SEOUL)):
                self.make.credit(self.holder(volunteer.id), 4000)
        self.registered.clear()  # registered before the report year
        for month in range(1, 13):
            self.one_month(month)

    def one_month(self, month: int):
        for _ in range(self.random.randint(1, 3)):
            self.register(self.moment(month, self.random.randint(1, 5)))
        for day in range(6, 13):
            volunteer = self.random.choice(self.volunteers)
            self.claim(volunteer, month, day)
        for _ in range(4):
            self.spend(month, self.random.randint(13, 20))
        if self.claims and self.random.random() < 0.6:
            self.reverse(month)
        self.donate(month, 21)
        self.hold_and_capture(month, 22)
        self.refund(month, 23)
        self.disburse(month, 24)
        if month in (3, 8):
            self.reissue(month, 25)
        if month == 2:
            self.expire(month, 26)

    def claim(self, volunteer, month, day):
        when = self.moment(month, day, 18)
        minutes = self.random.choice((60, 90, 120, 180, 240))
        organisation = self.random.choice(self.organisations)
        category = self.random.choice(CATEGORIES)
        request = rules.ClaimRequest(volunteer.id, organisation.id, when.date(), 9 * 60, 9 * 60 + minutes, category)
        claim = submission.submit_claim(self.session, request, actor=SYSTEM_ACTOR, now=when)
        with clock_at(when):
            review.approve_claim(self.session, claim.id, actor=SYSTEM_ACTOR)
        key = (month_of(when), organisation.id, category)
        self.hours[key].update(claims=1, minutes=minutes, points=claim.points)
        self.flows[month_of(when)]["issued"] += claim.points
        self.claims.append((claim, key, month_of(when)))

    def reverse(self, month):
        claim, key, approved_in = self.claims.pop(self.random.randrange(len(self.claims)))
        when = self.moment(month, 20, 12)
        with clock_at(when):
            review.reverse_claim(self.session, claim.id, actor=SYSTEM_ACTOR)
        self.session.refresh(claim)
        recovered = claim.points - claim.unrecovered_points
        self.hours[key].update(reversed_claims=1, reversed_minutes=claim.minutes, reversed_points=recovered)
        self.flows[month_of(when)]["reversed"] += recovered

    def spend(self, month, day):
        volunteer = self.random.choice(self.volunteers)
        balance = self.balance(volunteer.id)
        if not balance:
            return
        points, shop = self.random.randint(1, balance), self.random.choice(self.shops)
        when = self.moment(month, day)
        with clock_at(when):
            ledger.transfer(self.session, kind="redemption", from_account_id=self.holder(volunteer.id).account_id,
                            to_account_id=shop.id, amount=points)
        self.refundable[(volunteer.id, shop.id)] += points
        self.flows[month_of(when)]["redeemed"] += points
        self.shop_flows[(month_of(when), shop.id)].update(redemptions=1, redeemed=points)

    def refund(self, month, day):
        candidates = [key for key, points in self.refundable.items() if points]
        if not candidates:
            return
        volunteer_id, shop_id = self.random.choice(candidates)
        points = self.random.randint(1, self.refundable[(volunteer_id, shop_id)])
        when = self.moment(month, day)
        with clock_at(when):
            ledger.transfer(self.session, kind="refund", from_account_id=shop_id,
                            to_account_id=self.holder(volunteer_id).account_id, amount=points)
        self.refundable[(volunteer_id, shop_id)] -= points
        self.flows[month_of(when)]["refunded"] += points
        self.shop_flows[(month_of(when), shop_id)].update(refunds=1, refunded=points)

    def donate(self, month, day):
        volunteer = self.random.choice(self.volunteers)
        balance = self.balance(volunteer.id)
        if not balance:
            return
        cause, points, when = self.random.choice(self.causes), self.random.randint(1, balance), self.moment(month, day)
        with clock_at(when):
            donations_donate.donate_points(self.session, volunteer_id=volunteer.id, cause_id=cause.id, points=points)
        self.flows[month_of(when)]["donated"] += points
        self.cause_flows[(month_of(when), cause.id)].update(donations=1, donated=points)

    def hold_and_capture(self, month, day):
        """Park points in the holds account; capture last month's hold at a shop."""
        when = self.moment(month, day)
        if self.open_holds:
            volunteer_id, points = self.open_holds.pop()
            shop = self.shops[0]
            with clock_at(when):
                ledger.transfer(self.session, kind="redemption_capture", from_account_id=self.holds.id,
                                to_account_id=shop.id, amount=points)
            self.flows[month_of(when)].update(redeemed=points, held=-points)
            self.shop_flows[(month_of(when), shop.id)].update(redemptions=1, redeemed=points)
        volunteer = self.random.choice(self.volunteers)
        balance = self.balance(volunteer.id)
        if balance:
            points = self.random.randint(1, balance)
            with clock_at(when):
                ledger.transfer(self.session, kind="redemption_hold", to_account_id=self.holds.id, amount=points,
                                from_account_id=self.holder(volunteer.id).account_id)
            self.open_holds.append((volunteer.id, points))
            self.flows[month_of(when)]["held"] += points

    def disburse(self, month, day):
        cause = self.random.choice(self.causes)
        available = ledger.get_balance(self.session, cause.account_id)
        if not available:
            return
        points, when = self.random.randint(1, available), self.moment(month, day)
        with clock_at(when):
            disbursements.record_disbursement(self.session, cause_id=cause.id, points=points, memo="전달",
                                          actor=SYSTEM_ACTOR)
        self.flows[month_of(when)]["disbursed"] += points
        self.cause_flows[(month_of(when), cause.id)].update(disbursements=1, disbursed=points)

    def reissue(self, month, day):
        volunteer = self.random.choice(self.volunteers)
        with clock_at(self.moment(month, day)):
            lifecycle.reissue_card(self.session, self.holder(volunteer.id).id, actor=SYSTEM_ACTOR)

    def expire(self, month, day):
        expiry.choose_expiry_donation(self.session, self.volunteers[0].id, self.causes[1].id)
        as_of = date(YEAR, month, day)
        for volunteer in self.volunteers:
            with clock_at(datetime.combine(as_of, time(3), tzinfo=SEOUL)):
                outcome = expiry.expire_volunteer_points(self.session, volunteer.id, as_of=as_of, years=5)
            if outcome is None:
                continue
            label = f"{YEAR}-{month:02d}"
            if outcome.donated_to_cause_id:
                self.flows[label]["donated"] += outcome.points
                self.cause_flows[(label, outcome.donated_to_cause_id)].update(donations=1, donated=outcome.points)
            else:
                self.flows[label]["expired"] += outcome.points

    def finish(self):
        for claim, (month, _, _), _ in self.claims:
            self.session.refresh(claim)
            self.recognised.append((month, claim.volunteer_id, claim.minutes, claim.points))


@pytest.fixture(scope="module")
def world():
    """A scratch database holding one generated year, committed once and read by every test here."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)

        def generate(session):
            activity = YearOfActivity(session, Factories(session))
            activity.run()
            activity.finish()
            return activity

        try:
            yield run_in_transaction(factory, generate), factory
        finally:
            engine.dispose()


@pytest.fixture
def year(world):
    return world[0]


@pytest.fixture
def session(world):
    """Sessions on the generated year (this module's own database, not the shared one)."""
    session = world[1]()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def period():
    return periods.report_period(date(YEAR, 1, 1), date(YEAR, 12, 31))


def card_postings(session):
    """Every posting on a card account, straight from the ledger: (created_at, amount)."""
    return session.execute(
        select(Posting.created_at, Posting.amount).join(Account, Account.id == Posting.account_id)
        .where(Account.kind == str(AccountKind.CARD))
    ).all()


def test_the_activity_left_the_ledger_consistent(session, year):
    assert ledger.check_invariants(session).ok
    assert year.flows  # something happened every month
    assert len({month for month, _ in year.shop_flows}) == 12


def test_hours_and_points_per_month_organisation_and_category(session, year, period):
    report = hours.hours_report(session, period)
    found = {
        (row.month, row.organisation_id, row.category): Counter(
            {name: getattr(row, name) for name in ("claims", "minutes", "points", "reversed_claims",
                                                   "reversed_minutes", "reversed_points") if getattr(row, name)}
        )
        for row in report.rows
    }
    assert found == {key: +figures for key, figures in year.hours.items()}

    # The points issued per month are exactly the approval entries the ledger posted that month.
    approvals = Counter()
    for created_at, amount in session.execute(
        select(Posting.created_at, Posting.amount).join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(JournalEntry.kind == "claim_approval", Posting.amount > 0)
    ):
        approvals[month_of(created_at)] += amount
    by_month = hours.hours_report(session, period, group_by=("month",))
    assert {row.month: row.points for row in by_month.rows} == +approvals
    assert by_month.totals["points"] == report.totals["points"] == sum(approvals.values())

    by_organisation = hours.hours_report(session, period, group_by=("organisation",))
    expected = Counter()
    for (_, organisation_id, _), figures in year.hours.items():
        expected[organisation_id] += figures["minutes"]
    assert {row.organisation_id: row.minutes for row in by_organisation.rows} == expected
    assert all(row.month is None and row.category is None for row in by_organisation.rows)


def test_movements_per_month_match_what_happened_and_the_ledger(session, year, period):
    report = reports_points.movements_report(session, period)
    assert [row.month for row in report.rows] == [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    for row in report.rows:
        expected = year.flows[row.month]
        assert {name: getattr(row, name) for name in reports_points.MOVEMENT_FIGURES} == {
            name: expected[name] for name in reports_points.MOVEMENT_FIGURES
        }, row.month

    # The liability at each month's end is the sum of every card posting made before it.
    postings = card_postings(session)
    for row, month in zip(report.rows, period.months(), strict=True):
        assert row.liability_end == sum(amount for created_at, amount in postings if created_at < month.ends)
        assert row.liability_start == sum(amount for created_at, amount in postings if created_at < month.begins)
        # ... and it moves by exactly the month's flows.
        assert row.liability_end - row.liability_start == (
            row.issued - row.reversed - row.redeemed + row.refunded - row.donated - row.expired - row.held
        )
    assert report.rows[0].liability_start > 0  # the 2019 credits


@pytest.mark.parametrize("day", [date(2019, 2, 1), date(YEAR, 1, 31), date(YEAR, 6, 15), date(YEAR, 12, 31)])
def test_the_liability_at_any_date_is_the_sum_of_card_postings_up_to_then(session, year, day):
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SEOUL)
    expected = sum(amount for created_at, amount in card_postings(session) if created_at < end_of_day)
    assert reports_points.liability_on(session, day) == expected


def test_the_liability_now_is_the_sum_of_card_balances(session, year):
    balances = session.scalars(select(Account.balance).where(Account.kind == str(AccountKind.CARD)))
    assert reports_points.liability_on(session, date(2100, 1, 1)) == sum(balances)


def test_active_and_new_volunteers_per_month(session, year, period):
    report = volunteers.volunteer_activity_report(session, period)
    active = defaultdict(set)
    for month, volunteer_id, _, _ in year.recognised:
        active[month].add(volunteer_id)
    assert {row.month: row.active_volunteers for row in report.rows if row.active_volunteers} == {
        month: len(ids) for month, ids in active.items()
    }
    assert {row.month: row.new_volunteers for row in report.rows if row.new_volunteers} == dict(year.registered)
    assert report.totals == {
        "active_volunteers": len(set().union(*active.values())),
        "new_volunteers": sum(year.registered.values()),
    }


def test_top_volunteers_by_recognised_hours(session, year, period):
    minutes, points, count = Counter(), Counter(), Counter()
    for _, volunteer_id, claim_minutes, claim_points in year.recognised:
        minutes[volunteer_id] += claim_minutes
        points[volunteer_id] += claim_points
        count[volunteer_id] += 1
    expected = sorted(minutes, key=lambda volunteer_id: (-minutes[volunteer_id], volunteer_id))[:5]

    report = volunteers.top_volunteers_report(session, period, limit=5)

    assert [row.volunteer_id for row in report.rows] == expected
    assert [row.rank for row in report.rows] == list(range(1, len(expected) + 1))
    for row in report.rows:
        assert (row.minutes, row.points, row.claims) == (
            minutes[row.volunteer_id], points[row.volunteer_id], count[row.volunteer_id]
        )


def test_shop_accounts_per_shop_and_month(session, year, period):
    report = shops.shop_accounts_report(session, period)
    found = {
        (row.month, row.account_id): Counter(
            {name: getattr(row, name) for name in ("redemptions", "redeemed", "refunds", "refunded")}
        )
        for row in report.rows
    }
    assert found == {key: figures + Counter() for key, figures in year.shop_flows.items()}
    # Each row names its shop, by the shop's own id and name rather than its ledger account.
    assert {row.account_id: (row.merchant_id, row.merchant_name) for row in report.rows} == year.shop_names
    pairs = itertools.pairwise(report.rows)
    assert all(a.merchant_name < b.merchant_name for a, b in pairs if a.month == b.month)  # by name within a month
    shop_balances = sum(ledger.get_balance(session, shop.id) for shop in year.shops)
    assert report.totals["net"] == shop_balances  # the shops had no postings before the year


def test_donations_and_disbursements_per_cause_and_month(session, year, period):
    report = donations.donations_report(session, period)
    found = {
        (row.month, row.cause_id): Counter(
            {name: getattr(row, name) for name in ("donations", "donated", "disbursements", "disbursed")}
        )
        for row in report.rows
    }
    assert found == {key: figures + Counter() for key, figures in year.cause_flows.items()}
    assert report.totals["donated"] - report.totals["disbursed"] == sum(
        ledger.get_balance(session, cause.account_id) for cause in year.causes
    )
