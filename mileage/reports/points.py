"""Points moved each month, by kind of movement, and the points outstanding on cards at any date.

The movement report classifies postings by the kind of account they touch, so it needs no knowledge
of which service posted them:

    issued    points leaving the issuance account        reversed   points returning to it
    redeemed  points arriving at shop accounts            refunded   points leaving shop accounts
    donated   points arriving at cause accounts           disbursed  points arriving at `disbursed`
    expired   points arriving at `expired`                held       net change of the holds account

so that, month by month, the change in all card balances is
`issued − reversed − redeemed + refunded − donated − expired − held`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mileage.clock import seoul_day_start
from mileage.models import (
    Account,
    AccountKind,
    Posting,
)
from mileage.reports.periods import Report, ReportPeriod, postings_by_month, sum_fields


@dataclass(frozen=True)
class MovementRow:
    """One month's point movements by kind, and the card balances (the liability) around it."""

    month: str
    issued: int
    reversed: int
    redeemed: int
    refunded: int
    donated: int
    disbursed: int
    expired: int
    held: int
    liability_start: int
    liability_end: int


MOVEMENT_FIGURES = ("issued", "reversed", "redeemed", "refunded", "donated", "disbursed", "expired", "held")


def movements_report(session: Session, period: ReportPeriod) -> Report:
    """Return the points issued, reversed, redeemed, refunded, donated, disbursed, expired and held per month.

    Each row also carries the liability (all card balances) at the start and the end of its month.
    """
    flows: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for month, kind, points_in, points_out, _, _ in postings_by_month(session, period, "kind"):
        flows[month][kind] = (points_in, points_out)
    liability = liability_as_of(session, period.begins)
    rows = []
    for month in period.months():
        by_kind = flows.get(month.label, {})

        def moved(kind: AccountKind, direction: int, by_kind=by_kind) -> int:
            return by_kind.get(str(kind), (0, 0))[direction]

        card_in, card_out = by_kind.get(str(AccountKind.CARD), (0, 0))
        start, liability = liability, liability + card_in - card_out
        rows.append(
            MovementRow(
                month=month.label,
                issued=moved(AccountKind.ISSUANCE, 1),
                reversed=moved(AccountKind.ISSUANCE, 0),
                redeemed=moved(AccountKind.MERCHANT, 0),
                refunded=moved(AccountKind.MERCHANT, 1),
                donated=moved(AccountKind.CAUSE, 0),
                disbursed=moved(AccountKind.DISBURSED, 0),
                expired=moved(AccountKind.EXPIRED, 0),
                held=moved(AccountKind.HOLDS, 0) - moved(AccountKind.HOLDS, 1),
                liability_start=start,
                liability_end=liability,
            )
        )
    totals = sum_fields(rows, MOVEMENT_FIGURES)
    if rows:
        totals.update(liability_start=rows[0].liability_start, liability_end=rows[-1].liability_end)
    return Report(period, rows, totals)


def liability_as_of(session: Session, moment: datetime) -> int:
    """Return the sum of all card balances just before an instant.

    Each card's balance then is the balance_after of its last posting before it: one index seek
    per card, never a scan of the card's history.
    """
    last_balance = (
        select(Posting.balance_after)
        .where(Posting.account_id == Account.id, Posting.created_at < moment)
        .order_by(Posting.created_at.desc(), Posting.id.desc())
        .limit(1)
        .correlate(Account)
        .scalar_subquery()
    )
    cards = (
        select(last_balance.label("balance"))
        .where(Account.kind == str(AccountKind.CARD))
        .subquery()
    )
    return int(session.scalar(select(func.coalesce(func.sum(cards.c.balance), 0))))


def liability_on(session: Session, day: date) -> int:
    """Return the sum of all card balances at the end of a Seoul day."""
    return liability_as_of(session, seoul_day_start(day + timedelta(days=1)))
