"""Settlement against the ledger: a generated month of sales and refunds, and the closed-period rule."""

from __future__ import annotations

import csv
import dataclasses
import io
import random
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from mileage import ledger
from mileage.audit import Actor
from mileage.cards.qr import issue_qr_token
from mileage.clock import SEOUL, seoul_day_start
from mileage.errors import SettlementPeriodAlreadyClosed, SettlementPeriodNotOver
from mileage.ledger import posting
from mileage.models import AuditEvent, JournalEntry, Merchant, PeriodKind, Posting
from mileage.people.tokens import TokenSigner
from mileage.shops import redemptions, settlement
from mileage.shops.counter import Till

SIGNER = TokenSigner(key="settlement-signing-key-of-32-bytes!!")
STAFF = Actor(user_id=None, role="staff")
OCTOBER = date(2026, 10, 1)
NOVEMBER = date(2026, 11, 1)


def seoul(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SEOUL)


@pytest.fixture
def clock(monkeypatch):
    """Let the test choose when the ledger stamps its entries; the services take `now` directly."""
    moment = {"now": seoul(OCTOBER, 12)}
    monkeypatch.setattr(posting, "utc_now", lambda: moment["now"])
    return moment


@pytest.fixture
def till(make) -> Till:
    merchant = make.merchant(offer={"rate_bp": 1000, "max_discount": 5000, "min_purchase": 1000})
    return Till(merchant.id, make.terminal(merchant).terminal.id)


def sell(session, clock, till, card, purchase, moment):
    clock["now"] = moment
    return redemptions.redeem(
        session, SIGNER, till, scanned=issue_qr_token(SIGNER, card).token, purchase_amount=purchase, now=moment
    )


def give_back(session, clock, till, sale, amount, moment):
    clock["now"] = moment
    return redemptions.refund_redemption(session, till, sale.id, amount=amount, now=moment)


def ledger_figures(session, account_id: int, first: date, last: date) -> tuple[int, int, int]:
    """Count and sum, straight from the postings, what a shop's account took in and gave back."""
    rows = session.execute(
        select(JournalEntry.kind, Posting.amount)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(
            Posting.account_id == account_id,
            Posting.created_at >= seoul_day_start(first),
            Posting.created_at < seoul_day_start(last + timedelta(days=1)),
        )
    ).all()
    assert {kind for kind, _ in rows} <= {"redemption", "redemption_refund"}
    redeemed = [amount for kind, amount in rows if kind == "redemption"]
    refunded = [-amount for kind, amount in rows if kind == "redemption_refund"]
    return len(redeemed), sum(redeemed), sum(refunded)


def test_a_generated_month_of_sales_and_refunds_settles_to_what_the_ledger_shows(session, make, clock, till):
    rng = random.Random(20261031)
    cards = [make.card(balance=2_000_000) for _ in range(4)]
    other_shop = make.merchant()
    other_till = Till(other_shop.id, make.terminal(other_shop).terminal.id)
    sales = []
    # From two days before October to two days after, so the month's edges are crossed both ways.
    day = OCTOBER - timedelta(days=2)
    while day <= NOVEMBER + timedelta(days=1):
        for _ in range(rng.randint(0, 4)):
            # Minutes from 00:00 to 23:59 Seoul time: 00:30 Seoul is still the previous day in UTC.
            moment = seoul(day, 0) + timedelta(minutes=rng.randint(0, 24 * 60 - 1))
            shop_till = till if rng.random() < 0.8 else other_till
            sale = sell(session, clock, shop_till, rng.choice(cards), rng.randint(1_000, 80_000), moment)
            sales.append((shop_till, sale))
        for shop_till, sale in rng.sample(sales, k=min(len(sales), rng.randint(0, 2))):
            moment = max(seoul(day, 22, 30), sale.created_at + timedelta(minutes=1))
            if sale.refundable and moment - sale.created_at < timedelta(days=7):
                give_back(session, clock, shop_till, sale, rng.randint(1, sale.refundable), moment)
        day += timedelta(days=1)

    (month,) = settlement.settlement_report(
        session, period=PeriodKind.MONTH, start=OCTOBER, end=OCTOBER, merchant_id=till.merchant_id
    )
    shop = session.get(Merchant, till.merchant_id)
    count, gross, refunds = ledger_figures(session, shop.account_id, OCTOBER, NOVEMBER - timedelta(days=1))
    assert count > 40 and refunds > 0  # the month really has sales and refunds to check
    assert (month.redemption_count, month.gross_discount, month.refunds, month.net) == (
        count, gross, refunds, gross - refunds
    )
    days = settlement.settlement_report(
        session, period=PeriodKind.DAY, start=OCTOBER, end=NOVEMBER - timedelta(days=1), merchant_id=till.merchant_id
    )
    assert sum(line.net for line in days) == month.net
    assert sum(line.redemption_count for line in days) == month.redemption_count
    for line in days:
        assert ledger_figures(session, shop.account_id, line.period_start, line.period_end)[1:] == (
            line.gross_discount, line.refunds
        )
    # Every shop's all-time net is its ledger balance.
    everything = settlement.settlement_report(
        session, period=PeriodKind.MONTH, start=OCTOBER - timedelta(days=2), end=NOVEMBER, merchant_id=None
    )
    for merchant_id in (till.merchant_id, other_shop.id):
        account_id = session.get(Merchant, merchant_id).account_id
        net = sum(line.net for line in everything if line.merchant_id == merchant_id)
        assert net == ledger.get_balance(session, account_id)
    assert ledger.check_invariants(session).ok


def test_a_closed_month_never_changes_and_late_activity_lands_in_the_next_open_period(session, make, clock, till):
    card = make.card(balance=100_000)
    sale = sell(session, clock, till, card, 30_000, seoul(date(2026, 10, 30), 12))

    (closed,) = settlement.close_period(
        session, period=PeriodKind.MONTH, day=date(2026, 10, 15), merchant_id=till.merchant_id,
        actor=STAFF, today=date(2026, 11, 1),
    )
    assert closed.closed and (closed.redemption_count, closed.net) == (1, 3_000)

    late_refund = give_back(session, clock, till, sale, 1_000, seoul(date(2026, 11, 2), 10))
    # A till whose clock still says October: the sale counts in the first open day.
    late_sale = sell(session, clock, till, card, 10_000, seoul(date(2026, 10, 31), 23, 50))

    (october,) = settlement.settlement_report(
        session, period=PeriodKind.MONTH, start=OCTOBER, end=OCTOBER, merchant_id=till.merchant_id
    )
    assert october == closed
    assert late_refund.settlement_date == date(2026, 11, 2)
    assert late_sale.settlement_date == date(2026, 11, 1)
    (november,) = settlement.settlement_report(
        session, period=PeriodKind.MONTH, start=NOVEMBER, end=NOVEMBER, merchant_id=till.merchant_id
    )
    assert (november.redemption_count, november.gross_discount, november.refunds, november.closed) == (
        1, 1_000, 1_000, False
    )
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "settlement.close"))
    assert event.target_id == str(till.merchant_id) and event.after["net"] == 3_000


def test_the_settlement_day_skips_closed_days_and_closed_months(session, make, till):
    settlement.close_period(session, period=PeriodKind.MONTH, day=OCTOBER, merchant_id=till.merchant_id,
                            actor=STAFF, today=date(2026, 11, 5))
    settlement.close_period(session, period=PeriodKind.DAY, day=NOVEMBER, merchant_id=till.merchant_id,
                            actor=STAFF, today=date(2026, 11, 5))

    assert settlement.settlement_date_for(session, till.merchant_id, date(2026, 10, 20)) == date(2026, 11, 2)
    assert settlement.settlement_date_for(session, till.merchant_id, date(2026, 11, 3)) == date(2026, 11, 3)
    days = settlement.settlement_report(
        session, period=PeriodKind.DAY, start=OCTOBER, end=date(2026, 11, 2), merchant_id=till.merchant_id,
        include_empty=True,
    )
    assert [line.closed for line in days] == [True] * 32 + [False]


def test_only_a_finished_period_can_be_closed_and_only_once(session, make, till):
    with pytest.raises(SettlementPeriodNotOver):
        settlement.close_period(session, period=PeriodKind.MONTH, day=NOVEMBER, merchant_id=till.merchant_id,
                                actor=STAFF, today=date(2026, 11, 30))
    settlement.close_period(session, period=PeriodKind.MONTH, day=OCTOBER, merchant_id=till.merchant_id,
                            actor=STAFF, today=NOVEMBER)
    for period, day in ((PeriodKind.MONTH, date(2026, 10, 31)), (PeriodKind.DAY, date(2026, 10, 9))):
        with pytest.raises(SettlementPeriodAlreadyClosed):
            settlement.close_period(session, period=period, day=day, merchant_id=till.merchant_id,
                                    actor=STAFF, today=NOVEMBER)
    # Closing for every shop skips the one already closed and closes the others.
    other = make.merchant()
    closed = settlement.close_period(session, period=PeriodKind.MONTH, day=OCTOBER, actor=STAFF, today=NOVEMBER)
    closed_ids = {line.merchant_id for line in closed}
    assert other.id in closed_ids and till.merchant_id not in closed_ids


def test_the_csv_has_a_bom_a_header_and_one_row_per_line(session, make, clock, till):
    sell(session, clock, till, make.card(balance=10_000), 12_345, seoul(date(2026, 10, 5), 9))
    lines = settlement.settlement_report(
        session, period=PeriodKind.DAY, start=OCTOBER, end=date(2026, 10, 31), merchant_id=till.merchant_id
    )

    text = settlement.settlement_csv(lines)

    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(rows) == 1
    assert rows[0]["시작일"] == "2026-10-05" and rows[0]["할인 합계(포인트)"] == "1234"
    assert rows[0]["정산액(포인트)"] == "1234" and rows[0]["마감"] == "N" and rows[0]["정산 단위"] == "일"
    number = session.get(Merchant, till.merchant_id).business_number
    assert rows[0]["사업자등록번호"] == f"{number[:3]}-{number[3:5]}-{number[5:]}"
    assert set(settlement.CSV_COLUMNS) == {field.name for field in dataclasses.fields(settlement.SettlementLine)}


@pytest.mark.parametrize("name", ['=HYPERLINK("https://evil.example","click")', "+1+1", "-2", "@SUM(A1)", "\t=1"])
def test_a_shop_name_never_runs_as_a_formula_in_the_csv(session, make, clock, till, name):
    session.get(Merchant, till.merchant_id).name = name
    session.flush()
    sell(session, clock, till, make.card(balance=10_000), 12_345, seoul(date(2026, 10, 5), 9))
    lines = settlement.settlement_report(
        session, period=PeriodKind.DAY, start=OCTOBER, end=date(2026, 10, 31), merchant_id=till.merchant_id
    )
    (row,) = list(csv.DictReader(io.StringIO(settlement.settlement_csv(lines)[1:])))
    assert row["가맹점명"] == "'" + name

