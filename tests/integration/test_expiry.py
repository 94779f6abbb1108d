"""Point expiry against a real database, and against a brute-force first-in-first-out lot model."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mileage import expiry, ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle, lookup
from mileage.clock import SEOUL, seoul_today
from mileage.donations import causes, donate
from mileage.errors import ExpiryDateInFuture
from mileage.models import AccountKind, CauseStatus, Donation, DonationChannel, JournalEntry
from mileage.people import volunteers

YEARS = 5


def seoul(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SEOUL)


@contextmanager
def clock_at(moment: datetime):
    """Post ledger entries as if it were this moment."""
    with mock.patch("mileage.ledger.posting.utc_now", return_value=moment):
        yield


@pytest.fixture
def shop(session):
    return ledger.open_account(session, AccountKind.MERCHANT, "merchant:expiry-test")


def credit(make, card, points, day):
    with clock_at(seoul(day)):
        make.credit(card, points)


def spend(session, card_account_id, shop, points, day):
    with clock_at(seoul(day)):
        ledger.transfer(session, kind="redemption", from_account_id=card_account_id, to_account_id=shop.id,
                        amount=points)


def refund(session, card_account_id, shop, points, day):
    with clock_at(seoul(day)):
        ledger.transfer(session, kind="refund", from_account_id=shop.id, to_account_id=card_account_id, amount=points)


def expire(session, volunteer_id, as_of):
    with clock_at(seoul(as_of, 3)):
        return expiry.expire_volunteer_points(session, volunteer_id, as_of=as_of, years=YEARS)


def volunteer_balance(session, volunteer_id):
    volunteer = volunteers.get_volunteer(session, volunteer_id)
    return sum(ledger.get_balance(session, card.account_id) for card in volunteer.cards)


def test_points_expire_on_their_day_oldest_first_and_a_rerun_posts_nothing(session, make, shop):
    card = make.card()
    credit(make, card, 1000, date(2015, 3, 10))
    credit(make, card, 500, date(2016, 1, 1))
    spend(session, card.account_id, shop, 300, date(2017, 5, 5))

    assert expire(session, card.volunteer_id, date(2020, 3, 9)) is None
    outcome = expire(session, card.volunteer_id, date(2020, 3, 10))

    assert (outcome.points, outcome.donated_to_cause_id, outcome.replayed) == (700, None, False)
    assert ledger.get_balance(session, card.account_id) == 500
    entry = session.get(JournalEntry, outcome.entry_id)
    assert entry.kind == "expiry" and entry.idempotency_key == f"expiry:{card.volunteer_id}:2020-03-10"
    expired_account = ledger.system_account(session, AccountKind.EXPIRED)
    assert {(p.account_id, p.amount) for p in entry.postings} == {(card.account_id, -700), (expired_account.id, 700)}

    entries = session.scalar(select(func.count()).select_from(JournalEntry))
    again = expire(session, card.volunteer_id, date(2020, 3, 10))
    assert again.replayed and again.points == 700 and again.entry_id == outcome.entry_id
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert ledger.get_balance(session, card.account_id) == 500

    assert expire(session, card.volunteer_id, date(2020, 12, 31)) is None
    assert expire(session, card.volunteer_id, date(2021, 1, 1)).points == 500
    assert ledger.check_invariants(session).ok


def test_a_reissue_moves_the_points_without_restarting_their_clock(session, make):
    old = make.card()
    credit(make, old, 1000, date(2015, 6, 1))
    with clock_at(seoul(date(2018, 1, 1))):
        new = lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR).card
    credit(make, new, 200, date(2019, 1, 1))

    outcome = expire(session, old.volunteer_id, date(2020, 6, 1))

    assert outcome.points == 1000
    assert ledger.get_balance(session, old.account_id) == 0
    assert ledger.get_balance(session, new.account_id) == 200


def test_a_refund_gives_back_old_points_that_then_expire(session, make, shop):
    card = make.card()
    credit(make, card, 1000, date(2015, 1, 1))
    spend(session, card.account_id, shop, 600, date(2016, 1, 1))
    credit(make, card, 400, date(2019, 6, 1))
    refund(session, card.account_id, shop, 600, date(2019, 7, 1))

    # The refund reverses spending, it is not a fresh credit: all 1,000 old points are due.
    assert expire(session, card.volunteer_id, date(2020, 1, 1)).points == 1000
    assert ledger.get_balance(session, card.account_id) == 400


def test_a_claim_reversal_is_spending_not_a_credit(session, make):
    card = make.card()
    credit(make, card, 1000, date(2015, 1, 1))
    credit(make, card, 800, date(2019, 1, 1))
    with clock_at(seoul(date(2019, 2, 1))):
        ledger.transfer(session, kind="claim_reversal", from_account_id=card.account_id,
                        to_account_id=ledger.system_account(session, AccountKind.ISSUANCE).id, amount=800)

    assert expire(session, card.volunteer_id, date(2020, 1, 2)).points == 200


def test_opted_in_points_are_donated_to_the_chosen_cause_instead(session, make):
    card = make.card()
    cause = make.cause(name="만료 포인트 나눔")
    expiry.choose_expiry_donation(session, card.volunteer_id, cause.id)
    credit(make, card, 900, date(2015, 1, 1))

    outcome = expire(session, card.volunteer_id, date(2020, 1, 1))

    assert (outcome.points, outcome.donated_to_cause_id) == (900, cause.id)
    assert ledger.get_balance(session, cause.account_id) == 900
    donation = session.scalar(select(Donation).where(Donation.entry_id == outcome.entry_id))
    assert (donation.channel, donation.points, donation.consent_method) == (DonationChannel.EXPIRY, 900, "app")
    assert session.get(JournalEntry, outcome.entry_id).kind == "expiry_donation"
    assert expire(session, card.volunteer_id, date(2020, 1, 1)).replayed


def test_a_closed_chosen_cause_lets_the_points_expire(session, make):
    card = make.card()
    cause = make.cause()
    expiry.choose_expiry_donation(session, card.volunteer_id, cause.id)
    causes.set_cause_status(session, cause.id, CauseStatus.CLOSED, actor=SYSTEM_ACTOR)
    credit(make, card, 900, date(2015, 1, 1))

    outcome = expire(session, card.volunteer_id, date(2020, 1, 1))

    assert outcome.donated_to_cause_id is None
    assert ledger.get_balance(session, cause.account_id) == 0


def test_the_run_expires_every_volunteer_once_and_refuses_a_future_date(session, session_factory, make):
    due = [make.card(), make.card()]
    for card in due:
        credit(make, card, 300, date(2015, 1, 1))
    fresh = make.card()
    credit(make, fresh, 300, date(2025, 1, 1))

    summary = expiry.run_expiry(session_factory, as_of=date(2020, 1, 1), years=YEARS)
    assert summary.volunteers_expired >= 2
    mine = {o.volunteer_id: o.points for o in summary.outcomes}
    assert [mine.get(card.volunteer_id) for card in [*due, fresh]] == [300, 300, None]

    rerun = expiry.run_expiry(session_factory, as_of=date(2020, 1, 1), years=YEARS)
    assert rerun.volunteers_expired == 0 and rerun.points_expired == 0
    session.expire_all()
    assert [ledger.get_balance(session, card.account_id) for card in [*due, fresh]] == [0, 0, 300]

    tomorrow = seoul_today() + timedelta(days=1)
    with pytest.raises(ExpiryDateInFuture):
        expiry.run_expiry(session_factory, as_of=tomorrow, years=YEARS)


def test_the_forecast_lists_what_expires_in_the_next_90_days(session, make, shop):
    today = date(2026, 11, 25)
    card = make.card()
    start = today.replace(year=today.year - YEARS)
    credit(make, card, 100, start - timedelta(days=3))  # already due, but spent below
    credit(make, card, 300, start + timedelta(days=10))
    credit(make, card, 200, start + timedelta(days=40))
    credit(make, card, 700, start + timedelta(days=120))  # beyond the 90 days
    spend(session, card.account_id, shop, 150, start + timedelta(days=200))
    cause = make.cause()
    expiry.choose_expiry_donation(session, card.volunteer_id, cause.id)

    forecast = expiry.forecast_expiry(session, card.volunteer_id, today=today, years=YEARS)

    assert [(item.day, item.points) for item in forecast.expiring] == [
        (today + timedelta(days=10), 250),
        (today + timedelta(days=40), 200),
    ]
    assert forecast.total == 450 and forecast.balance == 1150 and forecast.donate_to.id == cause.id


def test_overdue_points_show_as_due_today(session, make):
    today = date(2026, 11, 25)
    card = make.card()
    credit(make, card, 100, today.replace(year=today.year - YEARS) - timedelta(days=3))
    forecast = expiry.forecast_expiry(session, card.volunteer_id, today=today, years=YEARS)
    assert [(item.day, item.points) for item in forecast.expiring] == [(today, 100)]


# --- the brute-force comparison -------------------------------------------------------------

@dataclass
class Lot:
    credited_on: date
    remaining: int
    amount: int


class FifoModel:
    """Points as lots: spending takes the oldest, a refund gives back the youngest spent, expiry empties old lots."""

    def __init__(self):
        self.lots: list[Lot] = []

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots)

    def credit(self, day: date, points: int) -> None:
        self.lots.append(Lot(day, points, points))

    def spend(self, points: int) -> None:
        for lot in self.lots:
            taken = min(points, lot.remaining)
            lot.remaining -= taken
            points -= taken
        assert points == 0

    def refund(self, points: int) -> None:
        for lot in reversed(self.lots):
            given_back = min(points, lot.amount - lot.remaining)
            lot.remaining += given_back
            points -= given_back
        assert points == 0

    def expire(self, as_of: date) -> int:
        expired = 0
        for lot in self.lots:
            if expiry.expiry_date(lot.credited_on, YEARS) <= as_of:
                expired += lot.remaining
                lot.remaining = 0
        return expired


ACTIONS = st.one_of(
    st.tuples(st.just("credit"), st.integers(min_value=1, max_value=5000)),
    st.tuples(st.sampled_from(["spend", "donate", "clawback", "refund"]), st.floats(min_value=0.01, max_value=1.0)),
    st.tuples(st.sampled_from(["reissue", "expire"]), st.just(0)),
)
STEPS = st.lists(st.tuples(st.integers(min_value=0, max_value=900), ACTIONS), min_size=1, max_size=25)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, opted_in=st.booleans())
def test_expiry_matches_a_brute_force_fifo_lot_model(session, make, steps, opted_in):
    savepoint = session.begin_nested()
    try:
        _replay_against_the_model(session, make, steps, opted_in)
    finally:
        savepoint.rollback()


def _replay_against_the_model(session, make, steps, opted_in):
    model = FifoModel()
    shop_account = ledger.open_account(session, AccountKind.MERCHANT, f"merchant:fifo-{make.organisation().id}")
    issuance = ledger.system_account(session, AccountKind.ISSUANCE)
    card = make.card()
    volunteer_id = card.volunteer_id
    cause = make.cause()
    if opted_in:
        expiry.choose_expiry_donation(session, volunteer_id, cause.id)
    day, last_run, refundable = date(2010, 1, 1), None, 0

    for days_forward, (action, value) in [*steps, (YEARS * 366, ("expire", 0))]:
        day += timedelta(days=days_forward)
        holder = lookup.current_card(session, volunteer_id)
        balance = model.balance
        share = max(1, int(balance * value)) if action != "credit" else 0
        with clock_at(seoul(day)):
            if action == "credit":
                make.credit(holder, value)
                model.credit(day, value)
            elif action in ("spend", "donate", "clawback") and balance:
                if action == "spend":
                    ledger.transfer(session, kind="redemption", from_account_id=holder.account_id,
                                    to_account_id=shop_account.id, amount=share)
                    refundable += share
                elif action == "donate":
                    donate.donate_points(session, volunteer_id=volunteer_id, cause_id=cause.id, points=share)
                else:
                    ledger.transfer(session, kind="claim_reversal", from_account_id=holder.account_id,
                                    to_account_id=issuance.id, amount=share)
                model.spend(share)
            elif action == "refund" and refundable:
                points = max(1, int(refundable * value))
                ledger.transfer(session, kind="refund", from_account_id=shop_account.id,
                                to_account_id=holder.account_id, amount=points)
                refundable -= points
                model.refund(points)
            elif action == "reissue":
                lifecycle.reissue_card(session, holder.id, actor=SYSTEM_ACTOR)
        if action == "expire" and day != last_run:
            last_run = day
            outcome = expire(session, volunteer_id, day)
            expected = model.expire(day)
            assert (outcome.points if outcome else 0) == expected
            if outcome:
                assert outcome.donated_to_cause_id == (cause.id if opted_in else None)
        assert volunteer_balance(session, volunteer_id) == model.balance
    assert ledger.check_invariants(session).ok
