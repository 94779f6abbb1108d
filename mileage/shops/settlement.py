"""Settlement: what each partner shop redeemed and refunded per day or month, and closing periods.

Every redemption and refund records, when it is created, the Seoul day it settles in. A closed
period never changes: staff may close only a period that is over, activity is stamped with the
day it happens (or the next open day, should that day be closed), and closing waits for redemptions
already under way at the shop (see `merchants.lock_merchant_for_trade`).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import seoul_today
from mileage.errors import InvalidSettlementRange, SettlementPeriodAlreadyClosed, SettlementPeriodNotOver
from mileage.i18n import NP_, translate_in_context
from mileage.models import Merchant, PeriodKind, Redemption, Refund, SettlementClosure
from mileage.shops.merchants import get_merchant
from mileage.spreadsheet_cells import spreadsheet_text

# The longest range one report may cover, in days, per period kind.
MAX_REPORT_DAYS = {PeriodKind.DAY: 366, PeriodKind.MONTH: 3 * 366}


@dataclass(frozen=True)
class SettlementLine:
    """One shop's figures for one period. Net is what the shop redeemed, less what it refunded."""

    merchant_id: int
    merchant_name: str
    # 사업자등록번호, ten digits: the number the shop's accountant files under.
    business_number: str
    period: str
    period_start: date
    period_end: date
    redemption_count: int
    gross_discount: int
    refund_count: int
    refunds: int
    net: int
    closed: bool


# --- periods --------------------------------------------------------------------------------

def month_start(day: date) -> date:
    """Return the first day of a day's month."""
    return day.replace(day=1)


def next_month_start(day: date) -> date:
    """Return the first day of the month after a day's month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_bounds(period: PeriodKind, day: date) -> tuple[date, date]:
    """Return the first and last day of the period (a day, or its month) that holds a day."""
    if period == PeriodKind.DAY:
        return day, day
    return month_start(day), next_month_start(day) - timedelta(days=1)


def _closed_periods(session: Session, merchant_id: int, since: date) -> set[tuple[str, date]]:
    rows = session.execute(
        select(SettlementClosure.period_kind, SettlementClosure.period_start).where(
            SettlementClosure.merchant_id == merchant_id, SettlementClosure.period_start >= month_start(since)
        )
    )
    return {(kind, start) for kind, start in rows}


def _is_closed(closed: set[tuple[str, date]], day: date) -> bool:
    return (str(PeriodKind.DAY), day) in closed or (str(PeriodKind.MONTH), month_start(day)) in closed


def settlement_date_for(session: Session, merchant_id: int, day: date) -> date:
    """Return the day a shop's activity on `day` settles in: that day, or the next one still open.

    Call it while holding the shop's trade lock, so a closure cannot commit in between.
    """
    closed = _closed_periods(session, merchant_id, day)
    while _is_closed(closed, day):
        day = next_month_start(day) if (str(PeriodKind.MONTH), month_start(day)) in closed else day + timedelta(days=1)
    return day


# --- reports --------------------------------------------------------------------------------

def _check_range(period: PeriodKind, start: date, end: date) -> tuple[date, date]:
    first, _ = period_bounds(period, start)
    _, last = period_bounds(period, end)
    if first > last or (last - first).days >= MAX_REPORT_DAYS[period]:
        raise InvalidSettlementRange(max_days=MAX_REPORT_DAYS[period])
    return first, last


def settlement_report(
    session: Session,
    *,
    period: PeriodKind,
    start: date,
    end: date,
    merchant_id: int | None = None,
    include_empty: bool = False,
) -> list[SettlementLine]:
    """Return the figures per shop and period for the periods that touch start..end (inclusive).

    Periods without any activity are left out unless they are closed or `include_empty` is set
    (which needs a single shop).

    :raises InvalidSettlementRange:
    """
    first, last = _check_range(period, start, end)

    def totals(model, amount_column):
        query = (
            select(model.merchant_id, model.settlement_date, func.count(), func.sum(amount_column))
            .where(model.settlement_date >= first, model.settlement_date <= last)
            .group_by(model.merchant_id, model.settlement_date)
        )
        if merchant_id is not None:
            query = query.where(model.merchant_id == merchant_id)
        figures: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
        for shop_id, day, count, amount in session.execute(query):
            bucket = figures[(shop_id, period_bounds(period, day)[0])]
            bucket[0] += count
            bucket[1] += int(amount or 0)
        return figures

    redeemed = totals(Redemption, Redemption.discount)
    refunded = totals(Refund, Refund.amount)
    closures = select(
        SettlementClosure.merchant_id, SettlementClosure.period_kind, SettlementClosure.period_start
    ).where(SettlementClosure.period_start >= month_start(first), SettlementClosure.period_start <= last)
    if merchant_id is not None:
        closures = closures.where(SettlementClosure.merchant_id == merchant_id)
    closed_by_merchant: dict[int, set] = defaultdict(set)
    for shop_id, kind, closed_start in session.execute(closures):
        closed_by_merchant[shop_id].add((kind, closed_start))

    keys = set(redeemed) | set(refunded)
    keys |= {
        (shop_id, period_bounds(period, closed_start)[0])
        for shop_id, closed in closed_by_merchant.items()
        for kind, closed_start in closed
        if kind == period and first <= closed_start <= last
    }
    if include_empty and merchant_id is not None:
        keys |= {(merchant_id, start_day) for start_day in _period_starts(period, first, last)}
    shops = {
        shop_id: (name, number)
        for shop_id, name, number in session.execute(
            select(Merchant.id, Merchant.name, Merchant.business_number).where(Merchant.id.in_({k[0] for k in keys}))
        )
    }

    lines = []
    for shop_id, period_start in sorted(keys):
        count, gross = redeemed.get((shop_id, period_start), (0, 0))
        refund_count, refunds = refunded.get((shop_id, period_start), (0, 0))
        period_end = period_bounds(period, period_start)[1]
        lines.append(
            SettlementLine(
                merchant_id=shop_id,
                merchant_name=shops.get(shop_id, ("", ""))[0],
                business_number=shops.get(shop_id, ("", ""))[1],
                period=str(period),
                period_start=period_start,
                period_end=period_end,
                redemption_count=count,
                gross_discount=gross,
                refund_count=refund_count,
                refunds=refunds,
                net=gross - refunds,
                # A period is closed when it was closed itself or every day of it lies in a closed month.
                closed=_is_closed(closed_by_merchant[shop_id], period_start)
                if period == PeriodKind.DAY
                else (str(PeriodKind.MONTH), period_start) in closed_by_merchant[shop_id],
            )
        )
    return lines


def _period_starts(period: PeriodKind, first: date, last: date) -> list[date]:
    starts, day = [], first
    while day <= last:
        starts.append(day)
        day = day + timedelta(days=1) if period == PeriodKind.DAY else next_month_start(day)
    return starts


def till_total(session: Session, merchant_id: int, day: date) -> SettlementLine:
    """Return one shop's figures for one Seoul day, for the till (zeros when nothing happened)."""
    (line,) = settlement_report(
        session, period=PeriodKind.DAY, start=day, end=day, merchant_id=merchant_id, include_empty=True
    )
    return line


# The file a shop's accountant receives and the console's table: every column, headed in the reader's language.
CSV_HEADINGS = {
    "merchant_id": NP_("settlement report column", "shop number"),
    "merchant_name": NP_("settlement report column", "shop"),
    "business_number": NP_("settlement report column", "business registration number"),
    "period": NP_("settlement report column", "period"),
    "period_start": NP_("settlement report column", "from"),
    "period_end": NP_("settlement report column", "to"),
    "redemption_count": NP_("settlement report column", "redemptions"),
    "gross_discount": NP_("settlement report column", "discounts"),
    "refund_count": NP_("settlement report column", "refunds"),
    "refunds": NP_("settlement report column", "refunded"),
    "net": NP_("settlement report column", "net"),
    "closed": NP_("settlement report column", "closed"),
}
CSV_COLUMNS = tuple(CSV_HEADINGS)
# The columns the console's table shows.
READABLE_COLUMNS = tuple(
    (column, CSV_HEADINGS[column])
    for column in ("merchant_name", "period_start", "period_end", "redemption_count", "gross_discount",
                   "refund_count", "refunds", "net", "closed")
)
PERIOD_NAMES = {"day": NP_("settlement period", "day"), "month": NP_("settlement period", "month")}


def format_business_number(number: str) -> str:
    """Write a 사업자등록번호 the way it is printed: 123-45-67890."""
    return f"{number[:3]}-{number[3:5]}-{number[5:]}" if len(number) == 10 and number.isdigit() else number


def settlement_csv(lines: list[SettlementLine], language: str | None = None) -> str:
    """Render settlement lines as the CSV a shop's accountant opens (Korean unless another language is asked).

    UTF-8 with a byte-order mark (so spreadsheet apps read Korean), the business registration number as
    printed, Y/N for closed periods, and no cell that runs as a formula.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(translate_in_context(language, *heading) for heading in CSV_HEADINGS.values())
    for line in lines:
        row = asdict(line)
        row["merchant_name"] = spreadsheet_text(line.merchant_name)
        row["business_number"] = format_business_number(line.business_number)
        row["period"] = translate_in_context(language, *PERIOD_NAMES[str(line.period)]) \
            if str(line.period) in PERIOD_NAMES else line.period
        row["closed"] = "Y" if line.closed else "N"
        writer.writerow(row[column] for column in CSV_COLUMNS)
    return buffer.getvalue()


# --- closing --------------------------------------------------------------------------------

def close_period(
    session: Session,
    *,
    period: PeriodKind,
    day: date,
    merchant_id: int | None = None,
    actor: Actor,
    today: date | None = None,
) -> list[SettlementLine]:
    """Close the period holding `day` for one shop, or for every shop; return the closed figures.

    Closing all shops skips those already closed; closing one shop that is already closed is refused.

    :raises SettlementPeriodNotOver: the period has not ended yet (Seoul calendar).
    :raises SettlementPeriodAlreadyClosed:
    :raises MerchantNotFound:
    """
    first, last = period_bounds(period, day)
    if last >= (today or seoul_today()):
        raise SettlementPeriodNotOver(period_start=first.isoformat())
    if merchant_id is not None:
        shop_ids = [get_merchant(session, merchant_id).id]
    else:
        shop_ids = list(session.scalars(select(Merchant.id).order_by(Merchant.id)))
    closed_lines = []
    for shop_id in shop_ids:
        # The exclusive row lock waits for redemptions and refunds already under way at the shop;
        # any that start later see this closure. Shops are locked in id order, so closers never deadlock.
        session.execute(select(Merchant.id).where(Merchant.id == shop_id).with_for_update())
        closed = _closed_periods(session, shop_id, first)
        already = (str(period), first) in closed or (str(PeriodKind.MONTH), month_start(first)) in closed
        if already:
            if merchant_id is not None:
                raise SettlementPeriodAlreadyClosed(merchant_id=shop_id, period_start=first.isoformat())
            continue
        session.add(
            SettlementClosure(merchant_id=shop_id, period_kind=str(period), period_start=first,
                              closed_by_user_id=actor.user_id)
        )
        session.flush()
        (line,) = settlement_report(
            session, period=period, start=first, end=last, merchant_id=shop_id, include_empty=True
        )
        record_audit(
            session, actor, "settlement.close", target_type="merchant", target_id=shop_id,
            after={key: str(value) if isinstance(value, date) else value for key, value in asdict(line).items()},
        )
        closed_lines.append(line)
    return closed_lines
