"""The dashboard's figures: this month's points and volunteers, and twelve months of points issued and used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mileage.clock import seoul_today
from mileage.models import Claim, ClaimState
from mileage.reports import periods, points, volunteers

CHART_MONTHS = 12


@dataclass(frozen=True)
class MonthFigures:
    """One month of points: issued by approvals, and used (redeemed net of refunds, plus donated)."""

    label: str
    issued: int
    used: int


@dataclass(frozen=True)
class Overview:
    """This month's figures and the last twelve months of points issued and used."""

    month: str
    issued: int
    redeemed: int
    donated: int
    waiting_claims: int
    active_volunteers: int
    liability: int
    months: list[MonthFigures]


def months_back(day: date, count: int) -> date:
    """Return the first day of the month `count` months before the month of `day`."""
    index = day.year * 12 + day.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def count_waiting_claims(session: Session) -> int:
    """Return how many claims wait for review."""
    return int(session.scalar(select(func.count()).select_from(Claim).where(Claim.state == str(ClaimState.SUBMITTED))))


def month_overview(session: Session, today: date | None = None) -> Overview:
    """Return the dashboard's figures for the Seoul month of today and the eleven months before it."""
    today = today or seoul_today()
    period = periods.report_period(months_back(today, CHART_MONTHS - 1), today)
    movements = points.movements_report(session, period)
    this_month = movements.rows[-1]
    activity = volunteers.volunteer_activity_report(session, period)
    return Overview(
        month=this_month.month,
        issued=this_month.issued - this_month.reversed,
        redeemed=this_month.redeemed - this_month.refunded,
        donated=this_month.donated,
        waiting_claims=count_waiting_claims(session),
        active_volunteers=activity.rows[-1].active_volunteers,
        liability=this_month.liability_end,
        months=[
            MonthFigures(
                label=row.month,
                issued=row.issued - row.reversed,
                used=row.redeemed - row.refunded + row.donated,
            )
            for row in movements.rows
        ],
    )
