"""Volunteers active each month, new and returning, and the volunteers with the most hours."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from mileage.models import (
    Claim,
    ClaimState,
    JournalEntry,
    Posting,
    Volunteer,
)
from mileage.reports.periods import Report, ReportPeriod, month_of, within_period

DEFAULT_TOP_VOLUNTEERS = 10


@dataclass(frozen=True)
class VolunteerActivityRow:
    """How many volunteers had hours recognised in a month, and how many registered."""

    month: str
    active_volunteers: int
    new_volunteers: int


def _recognised_claims(period: ReportPeriod):
    """Select approved (and not reversed) claims whose points were issued in the period."""
    approval = aliased(JournalEntry)
    return (
        select(Claim.id, Claim.volunteer_id, approval.created_at.label("approved_at"))
        .join(approval, approval.id == Claim.approval_entry_id)
        .where(Claim.state == str(ClaimState.APPROVED), within_period(approval.created_at, period))
    )


def volunteer_activity_report(session: Session, period: ReportPeriod) -> Report:
    """Return active volunteers (hours recognised) and new volunteers (registered) per month.

    The totals count distinct volunteers over the whole period, so they are not the sum of the months.
    """
    recognised = _recognised_claims(period).subquery()
    active = _count_by_month(
        session,
        select(month_of(recognised.c.approved_at, period).label("month"), recognised.c.volunteer_id).distinct(),
    )
    new = _count_by_month(
        session,
        select(month_of(Volunteer.created_at, period).label("month"), Volunteer.id).where(
            within_period(Volunteer.created_at, period)
        ),
    )
    rows = [
        VolunteerActivityRow(month.label, active.get(month.label, 0), new.get(month.label, 0))
        for month in period.months()
    ]
    totals = {
        "active_volunteers": session.scalar(select(func.count(func.distinct(recognised.c.volunteer_id)))),
        "new_volunteers": sum(row.new_volunteers for row in rows),
    }
    return Report(period, rows, totals)


def _count_by_month(session: Session, query) -> dict[str, int]:
    rows = query.subquery()
    return dict(session.execute(select(rows.c.month, func.count()).group_by(rows.c.month)).all())


@dataclass(frozen=True)
class TopVolunteerRow:
    """A volunteer's recognised hours and the points issued for them in the period."""

    rank: int
    volunteer_id: int
    name: str
    claims: int
    minutes: int
    points: int


def top_volunteers_report(session: Session, period: ReportPeriod, *, limit: int = DEFAULT_TOP_VOLUNTEERS) -> Report:
    """Return the volunteers with the most recognised hours in the period, most first."""
    credit = aliased(Posting)
    recognised = _recognised_claims(period).subquery()
    minutes = func.sum(Claim.end_minute - Claim.start_minute)
    query = (
        select(Claim.volunteer_id, Volunteer.name, func.count(), minutes, func.sum(credit.amount))
        .join(recognised, recognised.c.id == Claim.id)
        .join(Volunteer, Volunteer.id == Claim.volunteer_id)
        .join(credit, and_(credit.entry_id == Claim.approval_entry_id, credit.amount > 0))
        .group_by(Claim.volunteer_id, Volunteer.name)
        .order_by(minutes.desc(), Claim.volunteer_id)
        .limit(limit)
    )
    rows = [
        TopVolunteerRow(rank, volunteer_id, name, int(claims), int(total_minutes), int(points))
        for rank, (volunteer_id, name, claims, total_minutes, points) in enumerate(session.execute(query), start=1)
    ]
    return Report(period, rows)
