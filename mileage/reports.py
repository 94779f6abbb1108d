"""Reports for staff and auditors; every point figure is a sum of ledger postings, so it reconciles.

Months and days are Seoul months and days. A claim counts in the month its approval was posted (when
its points were issued), so hours and points fall into the same months as the ledger's issuance.
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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from mileage.clock import seoul_day_start
from mileage.errors import InvalidReportPeriod
from mileage.models import (
    Account,
    AccountKind,
    Cause,
    Claim,
    ClaimState,
    JournalEntry,
    Merchant,
    Organisation,
    Posting,
    Volunteer,
)

MAX_REPORT_MONTHS = 120
HOURS_DIMENSIONS = ("month", "organisation", "category")
DEFAULT_TOP_VOLUNTEERS = 10


# --- periods --------------------------------------------------------------------------------

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


def _month_of(column, period: ReportPeriod):
    """Return a SQL expression giving the report month label of a timestamp inside the period."""
    months = period.months()
    if len(months) == 1:
        return literal(months[0].label)
    return case(*[(column < month.ends, month.label) for month in months[:-1]], else_=months[-1].label)


def _within(column, period: ReportPeriod):
    return and_(column >= period.begins, column < period.ends)


# --- hours and points -----------------------------------------------------------------------

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


@dataclass(frozen=True)
class Report:
    """A report's period, its rows and, where they add up, its totals."""

    period: ReportPeriod
    rows: list
    totals: dict = field(default_factory=dict)


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
            _month_of(approval.created_at, period).label("month"),
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
        .where(_within(approval.created_at, period))
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
    return Report(period, rows, _sum_fields(rows, ("claims", "minutes", "points", "reversed_claims",
                                                    "reversed_minutes", "reversed_points")))


def _sum_fields(rows: list, names: tuple[str, ...]) -> dict:
    return {name: sum(getattr(row, name) for row in rows) for name in names}


# --- movements and liability ----------------------------------------------------------------

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


def _postings_by_month(session: Session, period: ReportPeriod, group: str, *, account_kind: str | None = None):
    """Yield (month, group value, points in, points out, postings in, postings out).

    group is "kind" (per account kind) or "account_id" (per account, of one account kind).
    """
    postings = (
        select(
            _month_of(Posting.created_at, period).label("month"),
            (Account.kind if group == "kind" else Posting.account_id).label("grouped"),
            Posting.amount.label("amount"),
        )
        .join(Account, Account.id == Posting.account_id)
        .where(_within(Posting.created_at, period))
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


def movements_report(session: Session, period: ReportPeriod) -> Report:
    """Return the points issued, reversed, redeemed, refunded, donated, disbursed, expired and held per month.

    Each row also carries the liability (all card balances) at the start and the end of its month.
    """
    flows: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for month, kind, points_in, points_out, _, _ in _postings_by_month(session, period, "kind"):
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
    totals = _sum_fields(rows, MOVEMENT_FIGURES)
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


# --- volunteers -----------------------------------------------------------------------------

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
        .where(Claim.state == str(ClaimState.APPROVED), _within(approval.created_at, period))
    )


def volunteer_activity_report(session: Session, period: ReportPeriod) -> Report:
    """Return active volunteers (hours recognised) and new volunteers (registered) per month.

    The totals count distinct volunteers over the whole period, so they are not the sum of the months.
    """
    recognised = _recognised_claims(period).subquery()
    active = _count_by_month(
        session,
        select(_month_of(recognised.c.approved_at, period).label("month"), recognised.c.volunteer_id).distinct(),
    )
    new = _count_by_month(
        session,
        select(_month_of(Volunteer.created_at, period).label("month"), Volunteer.id).where(
            _within(Volunteer.created_at, period)
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


# --- shops and causes -----------------------------------------------------------------------

@dataclass(frozen=True)
class MerchantSettlementRow:
    """One shop's discounts in a month: points redeemed there and refunded from there."""

    month: str
    # None only for a shop account with no shop registered on it (accounts opened by hand).
    merchant_id: int | None
    merchant_name: str | None
    account_id: int
    account_code: str
    redemptions: int
    redeemed: int
    refunds: int
    refunded: int

    @property
    def net(self) -> int:
        return self.redeemed - self.refunded


def merchant_settlement_report(session: Session, period: ReportPeriod) -> Report:
    """Return per shop and month the points redeemed there and refunded from there.

    The figures are sums of the shops' ledger accounts, so they reconcile with the ledger; the shop
    tables only name the account's shop.
    """
    shops = {
        account_id: (code, merchant_id, name)
        for account_id, code, merchant_id, name in session.execute(
            select(Account.id, Account.code, Merchant.id, Merchant.name)
            .outerjoin(Merchant, Merchant.account_id == Account.id)
            .where(Account.kind == str(AccountKind.MERCHANT))
        )
    }
    rows = []
    for month, account_id, points_in, points_out, count_in, count_out in _postings_by_month(
        session, period, "account_id", account_kind=str(AccountKind.MERCHANT)
    ):
        code, merchant_id, name = shops[account_id]
        rows.append(
            MerchantSettlementRow(
                month, merchant_id, name, account_id, code, count_in, points_in, count_out, points_out
            )
        )
    rows.sort(key=lambda row: (row.month, row.merchant_name or row.account_code, row.account_id))
    totals = _sum_fields(rows, ("redemptions", "redeemed", "refunds", "refunded"))
    totals["net"] = totals["redeemed"] - totals["refunded"]
    return Report(period, rows, totals)


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
    for month, account_id, points_in, points_out, count_in, count_out in _postings_by_month(
        session, period, "account_id", account_kind=str(AccountKind.CAUSE)
    ):
        cause_id, name = causes[account_id]
        rows.append(CauseDonationsRow(month, cause_id, name, count_in, points_in, count_out, points_out))
    rows.sort(key=lambda row: (row.month, row.cause_name))
    return Report(period, rows, _sum_fields(rows, ("donations", "donated", "disbursements", "disbursed")))
