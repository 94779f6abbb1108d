"""A volunteer's points across all their cards: the history of movements and the statement of a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from mileage.clock import SEOUL, seoul_day_start
from mileage.ledger.memos import entry_params, render_memo
from mileage.models import Card, Claim, JournalEntry, Organisation, Posting
from mileage.pagination import Page, clamp_page_size, decode_cursor, page_of
from mileage.people.volunteers import get_volunteer


@dataclass(frozen=True)
class Movement:
    """One posting on one of the volunteer's cards, with the claim behind it when there is one."""

    id: int
    entry_id: int
    kind: str
    memo: str
    amount: int
    balance_after: int
    created_at: datetime
    card_number: str
    claim_id: int | None = None
    organisation_name: str | None = None
    claim_category: str | None = None
    # Signed: a reversed claim takes its minutes back.
    claim_minutes: int | None = None

    @property
    def local_date(self) -> date:
        """Return the Seoul calendar day of the movement."""
        return self.created_at.astimezone(SEOUL).date()

    @property
    def card_last4(self) -> str:
        return self.card_number[-4:]


@dataclass(frozen=True)
class StatementLine:
    """One movement of the volunteer's points and the balance after it, across all their cards."""

    day: date
    kind: str
    memo: str
    organisation_name: str | None
    minutes: int | None
    points: int
    balance: int


@dataclass(frozen=True)
class Statement:
    """The volunteer's points over a period: the balance before it, then every movement in order."""

    first_day: date | None
    last_day: date | None
    opening_balance: int
    lines: list[StatementLine]


def _card_numbers_by_account(session: Session, volunteer_id: int) -> dict[int, str]:
    """Return the ledger account of every card the volunteer ever held, with the card's number."""
    return dict(session.execute(select(Card.account_id, Card.number).where(Card.volunteer_id == volunteer_id)).all())


def _movements_query(volunteer_id: int, account_ids: list[int]):
    """Select the postings on these accounts with their entry and, for hours, the claim behind them."""
    return (
        select(
            Posting.id,
            Posting.entry_id,
            Posting.account_id,
            Posting.amount,
            Posting.balance_after,
            Posting.created_at,
            JournalEntry.kind,
            JournalEntry.memo,
            JournalEntry.memo_params,
            Claim.id.label("claim_id"),
            Claim.approval_entry_id,
            Claim.start_minute,
            Claim.end_minute,
            Claim.category,
            Organisation.name.label("organisation_name"),
        )
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        # Restricted to the volunteer's own claims so the join walks their index, not every claim.
        .outerjoin(
            Claim,
            and_(
                Claim.volunteer_id == volunteer_id,
                or_(Claim.approval_entry_id == Posting.entry_id, Claim.reversal_entry_id == Posting.entry_id),
            ),
        )
        .outerjoin(Organisation, Organisation.id == Claim.organisation_id)
        .where(Posting.account_id.in_(account_ids))
    )


def _movement(row, card_numbers: dict[int, str], language: str | None) -> Movement:
    minutes = None
    if row.claim_id is not None:
        minutes = row.end_minute - row.start_minute
        if row.approval_entry_id != row.entry_id:
            minutes = -minutes
    return Movement(
        id=row.id,
        entry_id=row.entry_id,
        kind=row.kind,
        # Rendered from the entry's parameters in the reader's language; the volunteer's screens and files
        # show card numbers by their last four digits only, like the card itself.
        memo=render_memo(row.kind, entry_params(row.kind, row.memo_params, row.memo), language, mask_cards=True),
        amount=row.amount,
        balance_after=row.balance_after,
        created_at=row.created_at,
        card_number=card_numbers[row.account_id],
        claim_id=row.claim_id,
        organisation_name=row.organisation_name,
        claim_category=row.category,
        claim_minutes=minutes,
    )


def my_history(
    session: Session, volunteer_id: int, *, limit: int | None = None, cursor: str | None = None,
    language: str | None = None,
) -> Page:
    """Return one page of the postings on all the volunteer's cards, newest first, memos in a language.

    A reissued card's history stays readable: its postings, and the move of its balance to the new
    card, are listed alongside the new card's.

    :raises InvalidCursor:
    """
    limit = clamp_page_size(limit)
    card_numbers = _card_numbers_by_account(session, volunteer_id)
    query = _movements_query(volunteer_id, list(card_numbers)).order_by(Posting.id.desc()).limit(limit + 1)
    if cursor:
        query = query.where(Posting.id < decode_cursor(cursor))
    rows, next_cursor = page_of(list(session.execute(query)), limit)
    return Page(items=[_movement(row, card_numbers, language) for row in rows], next_cursor=next_cursor)


def my_statement(
    session: Session, volunteer_id: int, *, first_day: date | None = None, last_day: date | None = None,
    language: str | None = None,
) -> Statement:
    """Return the volunteer's movements of points between two Seoul days (inclusive), oldest first.

    The volunteer is one holder across all their cards: a reissue moves points between two of their
    own cards, nets to zero and is left out; the running balance is the sum over all their cards.

    :raises VolunteerNotFound:
    """
    get_volunteer(session, volunteer_id)
    card_numbers = _card_numbers_by_account(session, volunteer_id)
    account_ids = list(card_numbers)
    query = _movements_query(volunteer_id, account_ids).order_by(Posting.created_at, Posting.id)
    opening_balance = 0
    if first_day is not None:
        start = seoul_day_start(first_day)
        query = query.where(Posting.created_at >= start)
        opening_balance = int(
            session.scalar(
                select(func.coalesce(func.sum(Posting.amount), 0)).where(
                    Posting.account_id.in_(account_ids), Posting.created_at < start
                )
            )
        )
    if last_day is not None:
        query = query.where(Posting.created_at < seoul_day_start(last_day + timedelta(days=1)))

    # One line per journal entry: the postings of one entry on two of the volunteer's cards net out.
    by_entry: dict[int, list[Movement]] = {}
    for row in session.execute(query):
        by_entry.setdefault(row.entry_id, []).append(_movement(row, card_numbers, language))
    lines = []
    balance = opening_balance
    for movements in by_entry.values():
        points = sum(movement.amount for movement in movements)
        if points == 0:
            continue
        balance += points
        first = movements[0]
        lines.append(
            StatementLine(
                day=first.local_date,
                kind=first.kind,
                # A claim's category says more to the volunteer than the ledger's "claim 12".
                memo=first.claim_category if first.claim_id is not None else first.memo,
                organisation_name=first.organisation_name,
                minutes=first.claim_minutes,
                points=points,
                balance=balance,
            )
        )
    return Statement(first_day=first_day, last_day=last_day, opening_balance=opening_balance, lines=lines)


@dataclass(frozen=True)
class MonthStatement:
    """One Seoul month of the volunteer's statement, with what adds up over it."""

    month: str
    statement: Statement
    closing_balance: int
    earned: int
    used: int
    minutes: int


def my_month_statement(
    session: Session, volunteer_id: int, year: int, month: int, *, language: str | None = None
) -> MonthStatement:
    """Return the volunteer's statement for one Seoul month: opening, movements, closing and totals (memos
    in a language).

    :raises VolunteerNotFound:
    """
    first = date(year, month, 1)
    last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    statement = my_statement(session, volunteer_id, first_day=first, last_day=last, language=language)
    closing = statement.lines[-1].balance if statement.lines else statement.opening_balance
    return MonthStatement(
        month=f"{year:04d}-{month:02d}",
        statement=statement,
        closing_balance=closing,
        earned=sum(line.points for line in statement.lines if line.points > 0),
        used=-sum(line.points for line in statement.lines if line.points < 0),
        minutes=sum(line.minutes or 0 for line in statement.lines if line.points > 0),
    )
