"""Reports on the programme's rules: points withheld by caps, card tiers and their movements, tier benefits used.

Withheld and paid points are the figures each approval kept on its claim, by the Seoul month of the
approval: paid points add up to the approvals' ledger credits (the hours report), and paid plus
withheld add up to what the hours earned before caps. Tier counts at each year's end are replayed
from the tier history, so they add up from the movements. Benefit uses move no points: they are
counted from their own records, never from the ledger.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mileage.models import BenefitUse, Claim, ClaimState, Merchant, TierChange
from mileage.programme.earnings import LIFETIME_CAP, PREVIOUS_YEAR_HOURS, YEARLY_CAP
from mileage.reports.periods import Report, ReportPeriod, month_of, sum_fields, within_period


@dataclass(frozen=True)
class WithheldRow:
    month: str
    approved_claims: int
    capped_claims: int
    paid_points: int
    withheld_points: int
    withheld_lifetime_cap: int
    withheld_yearly_cap: int
    withheld_previous_year_hours: int


WITHHELD_TOTALS = ("approved_claims", "capped_claims", "paid_points", "withheld_points", "withheld_lifetime_cap",
                   "withheld_yearly_cap", "withheld_previous_year_hours")


def withheld_report(session: Session, period: ReportPeriod) -> Report:
    """Return, per month of approval, the points approvals paid and the points caps (or eligibility) withheld."""
    withheld = func.coalesce(Claim.withheld_points, 0)
    month = month_of(Claim.reviewed_at, period).label("month")
    rows = session.execute(
        select(
            month,
            func.count(),
            func.sum(case((withheld > 0, 1), else_=0)),
            func.coalesce(func.sum(Claim.points), 0),
            func.coalesce(func.sum(withheld), 0),
            func.coalesce(func.sum(case((Claim.withheld_by == LIFETIME_CAP, withheld), else_=0)), 0),
            func.coalesce(func.sum(case((Claim.withheld_by == YEARLY_CAP, withheld), else_=0)), 0),
            func.coalesce(func.sum(case((Claim.withheld_by == PREVIOUS_YEAR_HOURS, withheld), else_=0)), 0),
        )
        .where(Claim.state.in_([str(ClaimState.APPROVED), str(ClaimState.REVERSED)]),
               within_period(Claim.reviewed_at, period))
        .group_by(month)
        .order_by(month)
    ).all()
    report_rows = [WithheldRow(label, *(int(figure) for figure in figures)) for label, *figures in rows]
    return Report(period, report_rows, sum_fields(report_rows, WITHHELD_TOTALS))


@dataclass(frozen=True)
class TierYearRow:
    year: int
    tier: str
    volunteers_at_end: int
    moved_in: int
    moved_out: int


@dataclass(frozen=True)
class TierMovementRow:
    year: int
    from_tier: str | None
    to_tier: str
    reason: str
    changes: int


@dataclass(frozen=True)
class TierReport:
    period: ReportPeriod
    rows: list[TierYearRow]
    movements: list[TierMovementRow]
    totals: dict


def tiers_report(session: Session, period: ReportPeriod) -> TierReport:
    """Return volunteers per tier at the end of each year of the period, with the movements of each year."""
    current: dict[int, str] = {}
    ends = [date(year, 12, 31) if year < period.end.year else period.end
            for year in range(period.start.year, period.end.year + 1)]
    at_end: dict[int, Counter] = {}
    moved_in: dict[int, Counter] = defaultdict(Counter)
    moved_out: dict[int, Counter] = defaultdict(Counter)
    movements: Counter = Counter()
    changes = session.execute(
        select(TierChange.volunteer_id, TierChange.from_tier, TierChange.to_tier, TierChange.reason,
               TierChange.effective_on)
        .where(TierChange.effective_on <= period.end)
        .order_by(TierChange.effective_on, TierChange.id)
    ).all()
    index = 0
    for end in ends:
        while index < len(changes) and changes[index].effective_on <= end:
            change = changes[index]
            index += 1
            current[change.volunteer_id] = change.to_tier
            if change.effective_on >= period.start:
                year = change.effective_on.year
                moved_in[year][change.to_tier] += 1
                if change.from_tier is not None:
                    moved_out[year][change.from_tier] += 1
                movements[(year, change.from_tier, change.to_tier, change.reason)] += 1
        at_end[end.year] = Counter(current.values())
    rows = []
    for year, counts in at_end.items():
        for tier in sorted(set(counts) | set(moved_in[year]) | set(moved_out[year])):
            rows.append(TierYearRow(year, tier, counts.get(tier, 0), moved_in[year][tier], moved_out[year][tier]))
    movement_rows = [TierMovementRow(year, from_tier, to_tier, reason, n)
                     for (year, from_tier, to_tier, reason), n in sorted(movements.items(),
                                                                          key=lambda item: str(item[0]))]
    last_year = ends[-1].year
    return TierReport(period, rows, movement_rows,
                      {"volunteers_at_end": sum(at_end[last_year].values()),
                       "changes": sum(movements.values())})


@dataclass(frozen=True)
class BenefitUseRow:
    month: str
    merchant_id: int
    merchant_name: str
    uses: int
    purchase_amount: int
    benefit_amount: int


def benefit_uses_report(session: Session, period: ReportPeriod, *, merchant_id: int | None = None) -> Report:
    """Return tier benefits used per shop per month: how many, on what purchases, for how much."""
    month = month_of(BenefitUse.created_at, period).label("month")
    query = (
        select(month, Merchant.id, Merchant.name, func.count(), func.sum(BenefitUse.purchase_amount),
               func.sum(BenefitUse.benefit_amount))
        .join(Merchant, Merchant.id == BenefitUse.merchant_id)
        .where(within_period(BenefitUse.created_at, period))
        .group_by(month, Merchant.id, Merchant.name)
        .order_by(month, Merchant.id)
    )
    if merchant_id is not None:
        query = query.where(BenefitUse.merchant_id == merchant_id)
    rows = [BenefitUseRow(label, shop_id, name, int(uses), int(purchases), int(benefit))
            for label, shop_id, name, uses, purchases, benefit in session.execute(query)]
    return Report(period, rows, sum_fields(rows, ("uses", "purchase_amount", "benefit_amount")))
