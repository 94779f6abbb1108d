"""Points donated to and disbursed from each cause's ledger account, by month."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.models import (
    AccountKind,
    Cause,
)
from mileage.reports.periods import Report, ReportPeriod, postings_by_month, sum_fields


@dataclass(frozen=True)
class CauseDonationsRow:
    """One cause's month: donations received and disbursements handed over."""

    month: str
    cause_id: int
    cause_name: str
    donations: int
    donated: int
    disbursements: int
    disbursed: int


def donations_report(session: Session, period: ReportPeriod) -> Report:
    """Return per cause and month the points donated and disbursed, read from the causes' ledger accounts."""
    causes = {account_id: (cause_id, name) for cause_id, account_id, name in
              session.execute(select(Cause.id, Cause.account_id, Cause.name))}
    rows = []
    for month, account_id, points_in, points_out, count_in, count_out in postings_by_month(
        session, period, "account_id", account_kind=str(AccountKind.CAUSE)
    ):
        cause_id, name = causes[account_id]
        rows.append(CauseDonationsRow(month, cause_id, name, count_in, points_in, count_out, points_out))
    rows.sort(key=lambda row: (row.month, row.cause_name))
    return Report(period, rows, sum_fields(rows, ("donations", "donated", "disbursements", "disbursed")))
