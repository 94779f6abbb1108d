"""Report periods in Seoul months and days, the report shape, and the monthly sums of postings they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from mileage.clock import seoul_day_start
from mileage.errors import InvalidReportPeriod
from mileage.models import (
    Account,
    Posting,
)

MAX_REPORT_MONTHS = 120


@dataclass(frozen=True)
class Month:
    """One calendar month of a report, clipped to the report's period."""

    label: str
    begins: datetime
    ends: datetime


@dataclass(frozen=True)
class ReportPeriod:
    """Seoul days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def begins(self) -> datetime:
        return seoul_day_start(self.start)

    @property
    def ends(self) -> datetime:
        return seoul_day_start(self.end + timedelta(days=1))

    def months(self) -> list[Month]:
        """Return the months the period touches, in order."""
        months, first = [], self.start.replace(day=1)
        while first <= self.end:
            following = (first + timedelta(days=32)).replace(day=1)
            months.append(
                Month(
                    label=f"{first.year:04d}-{first.month:02d}",
                    begins=max(seoul_day_start(first), self.begins),
                    ends=min(seoul_day_start(following), self.ends),
                )
            )
            first = following
        return months


def report_period(start: date, end: date) -> ReportPeriod:
    """Return a report period after checking it.

    :raises InvalidReportPeriod: start after end, or more months than a report may span.
    """
    period = ReportPeriod(start, end)
    if start > end or len(period.months()) > MAX_REPORT_MONTHS:
        raise InvalidReportPeriod(max_months=MAX_REPORT_MONTHS)
    return period


def month_of(column, period: ReportPeriod):
    """Return a SQL expression giving the report month label of a timestamp inside the period."""
    months = period.months()
    if len(months) == 1:
        return literal(months[0].label)
    return case(*[(column < month.ends, month.label) for month in months[:-1]], else_=months[-1].label)


def within_period(column, period: ReportPeriod):
    """Return the condition that a timestamp column falls within a period's Seoul days."""
    return and_(column >= period.begins, column < period.ends)


@dataclass(frozen=True)
class Report:
    """A report's period, its rows and, where they add up, its totals."""

    period: ReportPeriod
    rows: list
    totals: dict = field(default_factory=dict)


def sum_fields(rows: list, names: tuple[str, ...]) -> dict:
    """Return the totals of some numeric fields over report rows."""
    return {name: sum(getattr(row, name) for row in rows) for name in names}


def postings_by_month(session: Session, period: ReportPeriod, group: str, *, account_kind: str | None = None):
    """Yield (month, group value, points in, points out, postings in, postings out).

    group is "kind" (per account kind) or "account_id" (per account, of one account kind).
    """
    postings = (
        select(
            month_of(Posting.created_at, period).label("month"),
            (Account.kind if group == "kind" else Posting.account_id).label("grouped"),
            Posting.amount.label("amount"),
        )
        .join(Account, Account.id == Posting.account_id)
        .where(within_period(Posting.created_at, period))
    )
    if account_kind is not None:
        postings = postings.where(Account.kind == account_kind)
    postings = postings.subquery()
    incoming = postings.c.amount > 0
    query = select(
        postings.c.month,
        postings.c.grouped,
        func.sum(case((incoming, postings.c.amount), else_=0)),
        func.sum(case((incoming, 0), else_=-postings.c.amount)),
        func.sum(case((incoming, 1), else_=0)),
        func.sum(case((incoming, 0), else_=1)),
    ).group_by(postings.c.month, postings.c.grouped)
    for month, grouped, points_in, points_out, count_in, count_out in session.execute(query):
        yield month, grouped, int(points_in), int(points_out), int(count_in), int(count_out)
