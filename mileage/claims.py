"""Hours claims: the policy they must meet, submission, review, approval into points, reversal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from mileage.cards import get_volunteer, lock_current_card
from mileage.clock import SEOUL, utc_now
from mileage.errors import (
    ClaimAlreadyReviewed,
    ClaimExceedsDailyLimit,
    ClaimInFuture,
    ClaimInvalidTimes,
    ClaimNotApproved,
    ClaimNotFound,
    ClaimOutsideWindow,
    ClaimOverlaps,
    DomainError,
    OrganisationNotFound,
    RejectionReasonRequired,
    VolunteerInactive,
)
from mileage.ledger import Leg, NewEntry, post_entries, post_entry, system_account, transfer
from mileage.models import (
    Account,
    AccountKind,
    Card,
    CardStatus,
    Claim,
    ClaimState,
    JournalEntry,
    Organisation,
    VolunteerStatus,
)

MINUTES_PER_DAY = 24 * 60

# Claims that still count toward the daily limit and the overlap rule.
LIVE_STATES = (ClaimState.SUBMITTED, ClaimState.APPROVED)


@dataclass(frozen=True)
class ClaimPolicy:
    """The centre's rules for recognising hours; every value can be configured."""

    points_per_hour: int = 1000
    max_minutes_per_day: int = 8 * 60
    allow_overlaps: bool = False
    allow_future: bool = False
    claim_window_days: int = 90
    volunteers_may_self_submit: bool = True

    @classmethod
    def from_mapping(cls, values: dict) -> ClaimPolicy:
        """Build a policy from configuration, keeping defaults for what is absent."""
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**known)

    def points_for(self, minutes: int) -> int:
        """Return the points earned by some minutes, rounded down."""
        return minutes * self.points_per_hour // 60


DEFAULT_POLICY = ClaimPolicy()


@dataclass(frozen=True)
class ClaimRequest:
    """What a coordinator, staff member or volunteer submits."""

    volunteer_id: int
    organisation_id: int
    work_date: date
    start_minute: int
    end_minute: int
    category: str
    note: str = ""


# --- organisations --------------------------------------------------------------------------

def create_organisation(session: Session, *, name: str, address: str = "", phone: str = "") -> Organisation:
    """Register a place where volunteering happens."""
    organisation = Organisation(name=name.strip(), address=address, phone=phone)
    session.add(organisation)
    session.flush()
    return organisation


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    """Return an organisation.

    :raises OrganisationNotFound:
    """
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise OrganisationNotFound(organisation_id=organisation_id)
    return organisation


# --- policy ---------------------------------------------------------------------------------

def check_claim_policy(
    session: Session, request: ClaimRequest, policy: ClaimPolicy, *, now: datetime | None = None
) -> None:
    """Refuse a claim that breaks a rule of the policy, naming the rule.

    :raises ClaimInvalidTimes:
    :raises ClaimInFuture:
    :raises ClaimOutsideWindow:
    :raises ClaimOverlaps:
    :raises ClaimExceedsDailyLimit:
    """
    if not (0 <= request.start_minute < request.end_minute <= MINUTES_PER_DAY):
        raise ClaimInvalidTimes(start_minute=request.start_minute, end_minute=request.end_minute)
    local_now = (now or utc_now()).astimezone(SEOUL)
    today = local_now.date()
    minute_now = local_now.hour * 60 + local_now.minute
    if not policy.allow_future and (
        request.work_date > today or (request.work_date == today and request.end_minute > minute_now)
    ):
        raise ClaimInFuture(work_date=request.work_date.isoformat())
    if request.work_date < today - timedelta(days=policy.claim_window_days):
        raise ClaimOutsideWindow(window_days=policy.claim_window_days)

    same_day = select(Claim).where(
        Claim.volunteer_id == request.volunteer_id,
        Claim.work_date == request.work_date,
        Claim.state.in_([str(state) for state in LIVE_STATES]),
    )
    if not policy.allow_overlaps:
        overlapping = session.scalar(
            same_day.where(
                Claim.start_minute < request.end_minute, Claim.end_minute > request.start_minute
            ).limit(1)
        )
        if overlapping is not None:
            raise ClaimOverlaps(claim_id=overlapping.id)
    already = session.scalar(
        select(func.coalesce(func.sum(Claim.end_minute - Claim.start_minute), 0)).where(
            Claim.volunteer_id == request.volunteer_id,
            Claim.work_date == request.work_date,
            Claim.state.in_([str(state) for state in LIVE_STATES]),
        )
    )
    if already + (request.end_minute - request.start_minute) > policy.max_minutes_per_day:
        raise ClaimExceedsDailyLimit(
            max_hours=policy.max_minutes_per_day // 60, already_minutes=int(already)
        )


# --- submission and review ------------------------------------------------------------------

def submit_claim(
    session: Session,
    request: ClaimRequest,
    *,
    submitted_by_user_id: int | None,
    policy: ClaimPolicy = DEFAULT_POLICY,
    now: datetime | None = None,
) -> Claim:
    """Record a claim after checking it against the policy.

    :raises VolunteerInactive:
    :raises OrganisationNotFound:
    :raises RuleViolation: one of the policy rules, by name.
    """
    volunteer = get_volunteer(session, request.volunteer_id)
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise VolunteerInactive(volunteer_id=volunteer.id)
    get_organisation(session, request.organisation_id)
    check_claim_policy(session, request, policy, now=now)
    claim = Claim(
        volunteer_id=request.volunteer_id,
        organisation_id=request.organisation_id,
        work_date=request.work_date,
        start_minute=request.start_minute,
        end_minute=request.end_minute,
        category=request.category.strip(),
        note=request.note,
        state=ClaimState.SUBMITTED,
        submitted_by_user_id=submitted_by_user_id,
    )
    session.add(claim)
    session.flush()
    return claim


def get_claim(session: Session, claim_id: int) -> Claim:
    """Return a claim.

    :raises ClaimNotFound:
    """
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise ClaimNotFound(claim_id=claim_id)
    return claim


def _move_claim_state(session: Session, claim: Claim, expected: ClaimState, **values) -> None:
    """Change a claim's state only if it is still in the expected one.

    The conditional UPDATE takes the row lock: of two reviewers clicking at once, the second waits
    and then finds the state already changed.

    :raises ClaimAlreadyReviewed:
    """
    changed = session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.state == str(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        session.refresh(claim)
        raise ClaimAlreadyReviewed(claim_id=claim.id, state=claim.state)


def approve_claim(
    session: Session, claim_id: int, *, reviewer_id: int | None, policy: ClaimPolicy = DEFAULT_POLICY
) -> Claim:
    """Approve a submitted claim and credit its points to the volunteer's card, exactly once.

    :raises ClaimNotFound:
    :raises ClaimAlreadyReviewed:
    :raises VolunteerHasNoCard:
    """
    claim = get_claim(session, claim_id)
    if claim.state != ClaimState.SUBMITTED:
        raise ClaimAlreadyReviewed(claim_id=claim_id, state=claim.state)
    points = policy.points_for(claim.minutes)
    _move_claim_state(
        session,
        claim,
        ClaimState.SUBMITTED,
        state=str(ClaimState.APPROVED),
        reviewed_by_user_id=reviewer_id,
        reviewed_at=utc_now(),
        points=points,
    )
    if points > 0:
        card_account_id = lock_current_card(session, claim.volunteer_id).account_id
        entry = transfer(
            session,
            kind="claim_approval",
            from_account_id=system_account(session, AccountKind.ISSUANCE).id,
            to_account_id=card_account_id,
            amount=points,
            idempotency_key=f"claim:{claim_id}:approval",
            memo=f"claim {claim_id}",
            actor_user_id=reviewer_id,
        )
        session.execute(
            update(Claim).where(Claim.id == claim_id).values(approval_entry_id=entry.id)
            .execution_options(synchronize_session=False)
        )
    session.refresh(claim)
    return claim


def reject_claim(session: Session, claim_id: int, *, reviewer_id: int | None, reason: str) -> Claim:
    """Reject a submitted claim with a reason the volunteer will read.

    :raises RejectionReasonRequired:
    :raises ClaimAlreadyReviewed:
    """
    if not reason or not reason.strip():
        raise RejectionReasonRequired()
    claim = get_claim(session, claim_id)
    if claim.state != ClaimState.SUBMITTED:
        raise ClaimAlreadyReviewed(claim_id=claim_id, state=claim.state)
    _move_claim_state(
        session,
        claim,
        ClaimState.SUBMITTED,
        state=str(ClaimState.REJECTED),
        reviewed_by_user_id=reviewer_id,
        reviewed_at=utc_now(),
        rejection_reason=reason.strip(),
    )
    session.refresh(claim)
    return claim


def reverse_claim(session: Session, claim_id: int, *, reviewer_id: int | None, reason: str = "") -> Claim:
    """Take back an approved claim's points, as far as the card's balance allows.

    The card may already have spent them; the claim records how many points could not be recovered.

    :raises ClaimNotApproved:
    """
    claim = get_claim(session, claim_id)
    if claim.state != ClaimState.APPROVED:
        raise ClaimNotApproved(claim_id=claim_id, state=claim.state)
    card_account_id = lock_current_card(session, claim.volunteer_id).account_id
    # Lock the card's balance so the amount recovered is exactly what is still there.
    balance = session.scalar(
        select(Account.balance).where(Account.id == card_account_id).with_for_update()
    )
    recoverable = min(claim.points or 0, balance)
    values = dict(state=str(ClaimState.REVERSED), unrecovered_points=(claim.points or 0) - recoverable)
    _move_claim_state(session, claim, ClaimState.APPROVED, **values)
    if recoverable > 0:
        entry = post_entry(
            session,
            kind="claim_reversal",
            legs=[
                Leg(card_account_id, -recoverable),
                Leg(system_account(session, AccountKind.ISSUANCE).id, recoverable),
            ],
            idempotency_key=f"claim:{claim_id}:reversal",
            memo=reason or f"reversal of claim {claim_id}",
            reverses_entry_id=claim.approval_entry_id,
            actor_user_id=reviewer_id,
        )
        session.execute(
            update(Claim).where(Claim.id == claim_id).values(reversal_entry_id=entry.id)
            .execution_options(synchronize_session=False)
        )
    session.refresh(claim)
    return claim


# --- bulk -----------------------------------------------------------------------------------

@dataclass
class BulkResult:
    """The outcome of a bulk review: what succeeded and, per failed claim, why."""

    approved: list[Claim] = field(default_factory=list)
    failed: dict[int, DomainError] = field(default_factory=dict)


def approve_claims(
    session: Session,
    claim_ids: Iterable[int],
    *,
    reviewer_id: int | None,
    policy: ClaimPolicy = DEFAULT_POLICY,
) -> BulkResult:
    """Approve many claims; each is all-or-nothing on its own, and a bad one does not stop the rest.

    The usual claim (submitted, worth points, its volunteer holding a card) is approved together
    with the others like it, in a few statements for the whole batch. Any other claim goes through
    `approve_claim` on its own, so its refusal is exactly that of a single approval.
    """
    claim_ids = list(dict.fromkeys(claim_ids))
    approved = _approve_usual_claims(session, claim_ids, reviewer_id=reviewer_id, policy=policy)
    result = BulkResult()
    for claim_id in claim_ids:
        if claim_id in approved:
            result.approved.append(approved[claim_id])
            continue
        try:
            with session.begin_nested():
                result.approved.append(approve_claim(session, claim_id, reviewer_id=reviewer_id, policy=policy))
        except DomainError as error:
            result.failed[claim_id] = error
    return result


def _approve_usual_claims(
    session: Session, claim_ids: list[int], *, reviewer_id: int | None, policy: ClaimPolicy
) -> dict[int, Claim]:
    """Approve, as one batch, the claims that need nothing unusual; return them by id.

    Locks are taken in the order a single approval takes them (claims, then cards, then the
    ledger accounts), each kind in id order, so batches and single approvals cannot deadlock.
    Claims left out are those a single approval must handle: not found, no longer submitted,
    worth no points, without a current card, on a card replaced meanwhile, or already posted.
    """
    submitted = list(
        session.scalars(
            select(Claim)
            .where(Claim.id.in_(claim_ids), Claim.state == str(ClaimState.SUBMITTED))
            .order_by(Claim.id)
            .with_for_update()
        )
    )
    points = {claim.id: policy.points_for(claim.minutes) for claim in submitted}
    submitted = [claim for claim in submitted if points[claim.id] > 0]
    if not submitted:
        return {}
    newest_cards = session.execute(
        select(func.max(Card.id))
        .where(Card.volunteer_id.in_({claim.volunteer_id for claim in submitted}), Card.status != CardStatus.REPLACED)
        .group_by(Card.volunteer_id)
    ).scalars()
    card_accounts = {
        volunteer_id: account_id
        for volunteer_id, account_id, status in session.execute(
            select(Card.volunteer_id, Card.account_id, Card.status)
            .where(Card.id.in_(list(newest_cards)))
            .order_by(Card.id)
            .with_for_update()
        )
        if status != CardStatus.REPLACED
    }
    keys = {claim.id: f"claim:{claim.id}:approval" for claim in submitted}
    already_posted = set(
        session.scalars(select(JournalEntry.idempotency_key).where(JournalEntry.idempotency_key.in_(keys.values())))
    )
    usual = [
        claim for claim in submitted if claim.volunteer_id in card_accounts and keys[claim.id] not in already_posted
    ]
    if not usual:
        return {}
    issuance_id = system_account(session, AccountKind.ISSUANCE).id
    entry_ids = post_entries(
        session,
        [
            NewEntry(
                kind="claim_approval",
                legs=(Leg(issuance_id, -points[claim.id]), Leg(card_accounts[claim.volunteer_id], points[claim.id])),
                idempotency_key=keys[claim.id],
                memo=f"claim {claim.id}",
                actor_user_id=reviewer_id,
            )
            for claim in usual
        ],
    )
    reviewed_at = utc_now()
    session.execute(
        update(Claim),
        [
            {"id": claim.id, "state": str(ClaimState.APPROVED), "reviewed_by_user_id": reviewer_id,
             "reviewed_at": reviewed_at, "points": points[claim.id], "approval_entry_id": entry_id}
            for claim, entry_id in zip(usual, entry_ids, strict=True)
        ],
    )
    return {
        claim.id: claim
        for claim in session.scalars(
            select(Claim)
            .where(Claim.id.in_([claim.id for claim in usual]))
            .options(selectinload(Claim.volunteer), selectinload(Claim.organisation))
            .execution_options(populate_existing=True)
        )
    }
