"""Point expiry: points expire N years after they were credited, oldest first, without lot tracking.

The programme's rule for one volunteer at a cutoff is

    expired_at_cutoff = max(0, credits_before_cutoff − all_debits − already_expired)

computed per volunteer across all their cards. What counts as what:

- A **credit** is points created for the volunteer: a card posting whose entry takes them from the
  issuance account (claim approvals). Only credits start the N-year clock.
- A reissue moves a balance between two cards of the same volunteer. Summed per volunteer, its two
  postings cancel, so it is neither a credit nor a debit and never restarts the clock.
- Every other posting on the volunteer's cards is a **debit** (redemptions, donations, holds, claim
  reversals, expiries) or, when it gives points back (a shop refund, a released hold), a negative
  debit: a refund reverses the spending it refunds rather than minting fresh points. Spending is
  first-in first-out, so the points a refund gives back are the youngest ones spent; that is the
  reading that keeps the whole rule one subtraction, and it never makes points expire sooner.

Because all debits plus all expiries equal all credits minus the current balance, the rule becomes
`max(0, balance − credits since the cutoff)`: one read of the balances and one indexed read of the
recent credits, however long the volunteer's history is.

Days are Seoul days. Points credited on day D expire on day D + N years (29 February → 28 February):
`mileage expire --as-of D + N years` expires them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from mileage.clock import SEOUL, seoul_day_start, seoul_today, utc_now
from mileage.db import run_in_transaction
from mileage.donations.causes import get_cause
from mileage.donations.donate import Consent, record_donation
from mileage.errors import CauseClosed, ExpiryDateInFuture
from mileage.ledger import Leg, post_entry, system_account
from mileage.models import (
    Account,
    AccountKind,
    Card,
    CardStatus,
    Cause,
    CauseStatus,
    ConsentMethod,
    DonationChannel,
    EntryKind,
    ExpiryDonationChoice,
    JournalEntry,
    Posting,
)

DEFAULT_EXPIRY_YEARS = 5
FORECAST_DAYS = 90
# Volunteers are examined this many at a time; each is still expired in its own transaction.
EXPIRY_FETCH_SIZE = 500


# --- the calendar ---------------------------------------------------------------------------

def expiry_date(credited_on: date, years: int) -> date:
    """Return the Seoul day on which points credited on a day expire."""
    try:
        return credited_on.replace(year=credited_on.year + years)
    except ValueError:  # 29 February in a year that has none
        return date(credited_on.year + years, 2, 28)


def expiry_cutoff(as_of: date, years: int) -> datetime:
    """Return the instant before which credited points have expired by the end of day as_of.

    It is the start of the first credit day whose expiry date is after as_of.
    """
    day = as_of + timedelta(days=1)
    try:
        first_unexpired = day.replace(year=day.year - years)
    except ValueError:  # as_of + 1 is 29 February: every day up to 28 February has expired
        first_unexpired = date(day.year - years, 3, 1)
    return seoul_day_start(first_unexpired)


# --- the amounts ----------------------------------------------------------------------------

def _volunteer_balance(session: Session, volunteer_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Account.balance), 0))
            .select_from(Card)
            .join(Account, Account.id == Card.account_id)
            .where(Card.volunteer_id == volunteer_id)
        )
    )


def _credits_query(session: Session, volunteer_id: int):
    """Select the volunteer's credits: card postings whose entry took the points from issuance."""
    issuance_leg = aliased(Posting)
    issuance_id = system_account(session, AccountKind.ISSUANCE).id
    return (
        select(Posting.amount, Posting.created_at)
        .join(Card, Card.account_id == Posting.account_id)
        .where(
            Card.volunteer_id == volunteer_id,
            Posting.amount > 0,
            select(issuance_leg.id)
            .where(
                issuance_leg.entry_id == Posting.entry_id,
                issuance_leg.account_id == issuance_id,
                issuance_leg.amount < 0,
            )
            .exists(),
        )
    )


def _credits_since(session: Session, volunteer_id: int, moment: datetime) -> int:
    credits = _credits_query(session, volunteer_id).where(Posting.created_at >= moment).subquery()
    return int(session.scalar(select(func.coalesce(func.sum(credits.c.amount), 0))))


# --- expiring -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpiryOutcome:
    """What one volunteer's expiry posted: to `expired`, or to their chosen cause."""

    volunteer_id: int
    points: int
    entry_id: int
    donated_to_cause_id: int | None
    replayed: bool


def expiry_ledger_key(volunteer_id: int, as_of: date) -> str:
    """Return the ledger idempotency key of one volunteer's expiry as of one day."""
    return f"expiry:{volunteer_id}:{as_of.isoformat()}"


def expire_volunteer_points(
    session: Session, volunteer_id: int, *, as_of: date, years: int = DEFAULT_EXPIRY_YEARS
) -> ExpiryOutcome | None:
    """Post the expiry of one volunteer's points as of a day, once; None when nothing has expired.

    The points go to the volunteer's chosen cause instead when they opted in and the cause is open.
    """
    key = expiry_ledger_key(volunteer_id, as_of)
    done = session.scalar(select(JournalEntry).where(JournalEntry.idempotency_key == key))
    if done is not None:
        return _replayed_outcome(session, volunteer_id, done)
    # Lock the cards first, then their balances (the order approvals and reissues use), so no
    # credit, spending or reissue can change the figures between reading them and posting.
    cards = list(
        session.execute(
            select(Card.id, Card.account_id, Card.status)
            .where(Card.volunteer_id == volunteer_id)
            .order_by(Card.id)
            .with_for_update()
        )
    )
    balances = dict(
        session.execute(
            select(Account.id, Account.balance)
            .where(Account.id.in_([card.account_id for card in cards]))
            .order_by(Account.id)
            .with_for_update()
        ).all()
    )
    cutoff = expiry_cutoff(as_of, years)
    due = max(0, sum(balances.values()) - _credits_since(session, volunteer_id, cutoff))
    if due == 0:
        return None
    # Take from the card that holds the points (the newest one not replaced) first.
    ordered = sorted(cards, key=lambda card: (card.status == CardStatus.REPLACED, -card.id))
    legs, left = [], due
    for card in ordered:
        take = min(left, balances[card.account_id])
        if take:
            legs.append(Leg(card.account_id, -take))
            left -= take
    cause = _chosen_open_cause(session, volunteer_id)
    target_id = cause.account_id if cause else system_account(session, AccountKind.EXPIRED).id
    entry = post_entry(
        session,
        kind=EntryKind.EXPIRY_DONATION if cause else EntryKind.EXPIRY,
        legs=[*legs, Leg(target_id, due)],
        idempotency_key=key,
        memo_params={
            "cutoff": cutoff.astimezone(SEOUL).date().isoformat(), "as_of": as_of.isoformat(),
            **({"cause": cause.name} if cause else {}),
        },
    )
    if cause:
        record_donation(
            session,
            entry=entry,
            volunteer_id=volunteer_id,
            cause=cause,
            points=due,
            channel=DonationChannel.EXPIRY,
            # The volunteer's own opt-in is the consent.
            consent=Consent(method=ConsentMethod.APP, note="expiring points, by the volunteer's opt-in"),
        )
    return ExpiryOutcome(volunteer_id, due, entry.id, cause.id if cause else None, replayed=False)


def _replayed_outcome(session: Session, volunteer_id: int, entry: JournalEntry) -> ExpiryOutcome:
    target = next(posting for posting in entry.postings if posting.amount > 0)
    cause_id = session.scalar(select(Cause.id).where(Cause.account_id == target.account_id))
    return ExpiryOutcome(volunteer_id, target.amount, entry.id, cause_id, replayed=True)


@dataclass
class ExpiryRunSummary:
    """What an expiry run did, for the CLI and the log."""

    as_of: date
    years: int
    volunteers_checked: int = 0
    volunteers_expired: int = 0
    points_expired: int = 0
    volunteers_donated: int = 0
    points_donated: int = 0
    already_done: int = 0
    outcomes: list[ExpiryOutcome] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        """Return the summary as plain data."""
        return {
            "as_of": self.as_of.isoformat(),
            "years": self.years,
            "volunteers_checked": self.volunteers_checked,
            "volunteers_expired": self.volunteers_expired,
            "points_expired": self.points_expired,
            "volunteers_donated": self.volunteers_donated,
            "points_donated": self.points_donated,
            "already_done": self.already_done,
        }


def run_expiry(
    session_factory: Callable[[], Session],
    *,
    as_of: date,
    years: int = DEFAULT_EXPIRY_YEARS,
    today: date | None = None,
    dry_run: bool = False,
    on_volunteer: Callable[[int], None] | None = None,
) -> ExpiryRunSummary:
    """Expire every volunteer's points as of a day; running it again for the same day posts nothing.

    A batch job: each volunteer is one transaction (retried on conflicts), so a crash leaves the
    volunteers already done committed and the rerun skips them by their ledger key. A dry run does
    the same work and rolls every transaction back, so its summary is what a real run would post.
    `on_volunteer` is called with each volunteer id once their turn is done (for a progress bar).

    :raises ExpiryDateInFuture:
    """
    run = _run_rolled_back if dry_run else run_in_transaction
    if as_of > (today or seoul_today()):
        raise ExpiryDateInFuture(as_of=as_of.isoformat())
    summary = ExpiryRunSummary(as_of=as_of, years=years)
    after_id = 0
    while True:
        volunteer_ids = run_in_transaction(
            session_factory, lambda session, after_id=after_id: _volunteers_with_points(session, after_id)
        )
        if not volunteer_ids:
            return summary
        for volunteer_id in volunteer_ids:
            outcome = run(
                session_factory,
                lambda session, volunteer_id=volunteer_id: expire_volunteer_points(
                    session, volunteer_id, as_of=as_of, years=years
                ),
            )
            summary.volunteers_checked += 1
            if on_volunteer is not None:
                on_volunteer(volunteer_id)
            if outcome is None:
                continue
            summary.outcomes.append(outcome)
            if outcome.replayed:
                summary.already_done += 1
            elif outcome.donated_to_cause_id is not None:
                summary.volunteers_donated += 1
                summary.points_donated += outcome.points
            else:
                summary.volunteers_expired += 1
                summary.points_expired += outcome.points
        after_id = volunteer_ids[-1]


def _run_rolled_back(session_factory: Callable[[], Session], work: Callable[[Session], object]):
    """Run work in a transaction that is always rolled back (a dry run)."""
    session = session_factory()
    try:
        return work(session)
    finally:
        session.rollback()
        session.close()


def count_volunteers_with_points(session: Session) -> int:
    """Return how many volunteers an expiry run will look at (for a progress bar)."""
    return session.scalar(
        select(func.count(func.distinct(Card.volunteer_id)))
        .join(Account, Account.id == Card.account_id)
        .where(Account.balance > 0)
    ) or 0


def _volunteers_with_points(session: Session, after_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Card.volunteer_id)
            .join(Account, Account.id == Card.account_id)
            .where(Account.balance > 0, Card.volunteer_id > after_id)
            .group_by(Card.volunteer_id)
            .order_by(Card.volunteer_id)
            .limit(EXPIRY_FETCH_SIZE)
        )
    )


# --- what the volunteer sees ----------------------------------------------------------------

@dataclass(frozen=True)
class ExpiringPoints:
    """Points that will have expired by a day, if nothing else happens to the card before then."""

    day: date
    points: int


@dataclass(frozen=True)
class ExpiryForecast:
    """A volunteer's coming expiries and where the points will go."""

    today: date
    until: date
    years: int
    balance: int
    expiring: list[ExpiringPoints]
    donate_to: Cause | None

    @property
    def total(self) -> int:
        return sum(item.points for item in self.expiring)


def forecast_expiry(
    session: Session,
    volunteer_id: int,
    *,
    today: date,
    years: int = DEFAULT_EXPIRY_YEARS,
    days: int = FORECAST_DAYS,
) -> ExpiryForecast:
    """Return how many of the volunteer's points expire on which day from today to `days` ahead.

    Points already due but not yet posted count on today. Spending first uses the oldest points,
    so each figure assumes nothing is spent until then.
    """
    until = today + timedelta(days=days)
    balance = _volunteer_balance(session, volunteer_id)
    start = expiry_cutoff(today, years)
    remaining_credits = _credits_since(session, volunteer_id, start)
    expired = max(0, balance - remaining_credits)
    expiring = [ExpiringPoints(today, expired)] if expired else []
    leaving = _credits_query(session, volunteer_id).where(
        Posting.created_at >= start, Posting.created_at < expiry_cutoff(until, years)
    )
    by_day: dict[date, int] = {}
    for amount, created_at in session.execute(leaving):
        day = expiry_date(created_at.astimezone(SEOUL).date(), years)
        by_day[day] = by_day.get(day, 0) + amount
    for day in sorted(by_day):
        remaining_credits -= by_day[day]
        now_expired = max(0, balance - remaining_credits)
        if now_expired > expired:
            expiring.append(ExpiringPoints(day, now_expired - expired))
            expired = now_expired
    return ExpiryForecast(
        today=today, until=until, years=years, balance=balance, expiring=expiring,
        donate_to=_chosen_open_cause(session, volunteer_id),
    )


# --- opting in to donate instead ------------------------------------------------------------

def _chosen_open_cause(session: Session, volunteer_id: int) -> Cause | None:
    choice = session.get(ExpiryDonationChoice, volunteer_id)
    if choice is None or choice.cause.status != CauseStatus.ACTIVE:
        # A cause closed since the choice was made cannot take donations: the points simply expire.
        return None
    return choice.cause


def get_expiry_donation_choice(session: Session, volunteer_id: int) -> ExpiryDonationChoice | None:
    """Return the volunteer's opt-in to donate expiring points, if any."""
    return session.get(ExpiryDonationChoice, volunteer_id)


def choose_expiry_donation(session: Session, volunteer_id: int, cause_id: int) -> ExpiryDonationChoice:
    """Opt in (or change the cause): points about to expire will be donated to this cause instead.

    :raises CauseNotFound:
    :raises CauseClosed:
    """
    cause = get_cause(session, cause_id)
    if cause.status != CauseStatus.ACTIVE:
        raise CauseClosed(name=cause.name)
    choice = session.get(ExpiryDonationChoice, volunteer_id)
    if choice is None:
        choice = ExpiryDonationChoice(volunteer_id=volunteer_id, cause_id=cause.id)
        session.add(choice)
    else:
        choice.cause_id = cause.id
        choice.chosen_at = utc_now()
    session.flush()
    session.refresh(choice)
    return choice


def clear_expiry_donation(session: Session, volunteer_id: int) -> None:
    """Opt out: points that expire go to the expired account again."""
    choice = session.get(ExpiryDonationChoice, volunteer_id)
    if choice is not None:
        session.delete(choice)
        session.flush()
