"""Hours recognised, by month, organisation and category; a claim counts in the month its points were issued."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from mileage.models import (
    Claim,
    ClaimState,
    JournalEntry,
    Organisation,
    Posting,
)
from mileage.reports.periods import Report, ReportPeriod, month_of, sum_fields, within_period

HOURS_DIMENSIONS = ("month", "organisation", "category")


@dataclass(frozen=True)
class HoursRow:
    """Claims whose points were issued in a month, per organisation and category (as grouped)."""

    month: str | None
    organisation_id: int | None
    organisation_name: str | None
    category: str | None
    claims: int
    minutes: int
    points: int
    # Of those claims, the ones reversed since, and the points their reversal took back.
    reversed_claims: int
    reversed_minutes: int
    reversed_points: int


def hours_report(
    session: Session, period: ReportPeriod, *, group_by: tuple[str, ...] = HOURS_DIMENSIONS
) -> Report:
    """Return hours and points of approved claims per month, organisation and category (or fewer).

    Points are the ledger amounts the approvals credited; reversed points are what the reversals
    actually took back (a reversal cannot take back points already spent).
    """
    unknown = set(group_by) - set(HOURS_DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown dimensions {sorted(unknown)}")
    approval = aliased(JournalEntry)
    credit = aliased(Posting)
    clawback = aliased(Posting)
    is_reversed = Claim.state == str(ClaimState.REVERSED)
    minutes = Claim.end_minute - Claim.start_minute
    claims = (
        select(
            month_of(approval.created_at, period).label("month"),
            Claim.organisation_id.label("organisation_id"),
            Claim.category.label("category"),
            minutes.label("minutes"),
            credit.amount.label("points"),
            case((is_reversed, 1), else_=0).label("reversed"),
            case((is_reversed, minutes), else_=0).label("reversed_minutes"),
            func.coalesce(-clawback.amount, 0).label("reversed_points"),
        )
        .join(approval, approval.id == Claim.approval_entry_id)
        .join(credit, and_(credit.entry_id == approval.id, credit.amount > 0))
        .outerjoin(clawback, and_(clawback.entry_id == Claim.reversal_entry_id, clawback.amount < 0))
        .where(within_period(approval.created_at, period))
        .subquery()
    )
    keys = [claims.c[name if name != "organisation" else "organisation_id"] for name in HOURS_DIMENSIONS
            if name in group_by]
    totals = (
        func.count(),
        func.sum(claims.c.minutes),
        func.sum(claims.c.points),
        func.sum(claims.c.reversed),
        func.sum(claims.c.reversed_minutes),
        func.sum(claims.c.reversed_points),
    )
    grouped = [
        (dict(zip([column.name for column in keys], values[: len(keys)], strict=True)),
         [int(value or 0) for value in values[len(keys):]])
        for values in session.execute(select(*keys, *totals).group_by(*keys))
    ]
    organisation_ids = {key["organisation_id"] for key, _ in grouped if key.get("organisation_id")}
    names = dict(
        session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))).all()
    )
    rows = [
        HoursRow(
            month=key.get("month"),
            organisation_id=key.get("organisation_id"),
            organisation_name=names.get(key.get("organisation_id")),
            category=key.get("category"),
            claims=figures[0],
            minutes=figures[1],
            points=figures[2],
            reversed_claims=figures[3],
            reversed_minutes=figures[4],
            reversed_points=figures[5],
        )
        for key, figures in grouped
    ]
    rows.sort(key=lambda row: (row.month or "", row.organisation_name or "", row.category or ""))
    return Report(period, rows, sum_fields(rows, ("claims", "minutes", "points", "reversed_claims",
                                                    "reversed_minutes", "reversed_points")))
