"""Donations: causes, points given to them (by volunteers, by staff with consent, by campaigns), disbursements.

Every donation is one `card → cause` ledger entry plus a Donation row that is its receipt; every
disbursement is one `cause → disbursed` entry. A cause account therefore holds exactly what was
donated to it minus what was handed over, and the conditional debit keeps it from going below zero.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.cards import get_volunteer, lock_current_card
from mileage.clock import utc_now
from mileage.db import run_in_transaction
from mileage.errors import (
    CampaignNotFound,
    CampaignSelectsNobody,
    CampaignTooLarge,
    CardNotActive,
    CauseClosed,
    CauseNameTaken,
    CauseNotFound,
    CauseStatusUnchanged,
    ConsentNoteRequired,
    ConsentWitnessRequired,
    DisbursementExceedsBalance,
    DisbursementMemoRequired,
    DomainError,
    DonationNotFound,
    InsufficientBalance,
    InvalidAmount,
    UserNotFound,
    VolunteerHasNoCard,
    VolunteerNotFound,
)
from mileage.ledger import get_balance, open_account, request_fingerprint, system_account, transfer
from mileage.models import (
    Account,
    AccountKind,
    Campaign,
    CampaignItem,
    CampaignItemState,
    CampaignState,
    Card,
    CardStatus,
    Cause,
    CauseStatus,
    Claim,
    ClaimState,
    ConsentMethod,
    Disbursement,
    Donation,
    DonationChannel,
    JournalEntry,
    User,
    Volunteer,
    VolunteerStatus,
)
from mileage.pagination import Page, fetch_page

# One campaign row per volunteer is written in one statement; a district centre has far fewer.
MAX_CAMPAIGN_VOLUNTEERS = 20_000
# Campaign items are fetched this many at a time; each is still processed in its own transaction.
CAMPAIGN_FETCH_SIZE = 200
NOTHING_TO_DONATE = "nothing_to_donate"

# Refusals that mean "this volunteer does not qualify right now", not that something went wrong.
SKIPPING_ERRORS = (InsufficientBalance, VolunteerHasNoCard, CardNotActive)

EDITABLE_CAUSE_FIELDS = ("name", "receiving_organisation", "description", "target_points")


@dataclass(frozen=True)
class Consent:
    """How a volunteer agreed to a donation made on their behalf, and who can vouch for it."""

    method: ConsentMethod
    witness_name: str | None = None
    witness_user_id: int | None = None
    note: str = ""

    def check(self, session: Session) -> None:
        """Refuse consent that cannot be vouched for later.

        :raises ConsentWitnessRequired: verbal consent without a witness.
        :raises UserNotFound: the witness user does not exist.
        """
        if self.method == ConsentMethod.VERBAL and not ((self.witness_name or "").strip() or self.witness_user_id):
            raise ConsentWitnessRequired()
        if self.witness_user_id is not None and session.get(User, self.witness_user_id) is None:
            raise UserNotFound(user_id=self.witness_user_id)

    def as_dict(self) -> dict:
        """Return the consent as plain data for the audit log."""
        return {**asdict(self), "method": str(self.method)}


# --- causes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CauseSummary:
    """A cause with its ledger figures: what it holds, and what was donated and handed over in total."""

    cause: Cause
    balance: int
    disbursed: int

    @property
    def donated(self) -> int:
        # Only donations credit a cause account and only disbursements debit it.
        return self.balance + self.disbursed


def _cause_state(cause: Cause) -> dict:
    return {
        "name": cause.name,
        "receiving_organisation": cause.receiving_organisation,
        "description": cause.description,
        "target_points": cause.target_points,
        "status": cause.status,
    }


def create_cause(
    session: Session,
    *,
    name: str,
    receiving_organisation: str,
    description: str = "",
    target_points: int | None = None,
    actor: Actor,
) -> Cause:
    """Open a donation cause with its own ledger account.

    :raises CauseNameTaken:
    """
    name = name.strip()
    _ensure_cause_name_free(session, name)
    with _unique_cause_name(session, name):
        # A random code rather than the name, which staff may edit, or the id, which does not exist yet.
        account = open_account(session, AccountKind.CAUSE, f"cause:{secrets.token_hex(8)}")
        cause = Cause(
            name=name,
            receiving_organisation=receiving_organisation.strip(),
            description=description,
            target_points=target_points,
            status=CauseStatus.ACTIVE,
            account_id=account.id,
            created_by_user_id=actor.user_id,
        )
        session.add(cause)
        session.flush()
    record_audit(session, actor, "cause.create", target_type="cause", target_id=cause.id, after=_cause_state(cause))
    return cause


@contextmanager
def _unique_cause_name(session: Session, name: str) -> Iterator[None]:
    """Turn losing a race for a name (the unique index) into the same refusal as the check before it."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise CauseNameTaken(name=name) from exc


def _ensure_cause_name_free(session: Session, name: str, *, except_cause_id: int | None = None) -> None:
    query = select(Cause.id).where(Cause.name == name)
    if except_cause_id is not None:
        query = query.where(Cause.id != except_cause_id)
    if session.scalar(query) is not None:
        raise CauseNameTaken(name=name)


def get_cause(session: Session, cause_id: int) -> Cause:
    """Return a cause.

    :raises CauseNotFound:
    """
    cause = session.get(Cause, cause_id)
    if cause is None:
        raise CauseNotFound(cause_id=cause_id)
    return cause


def edit_cause(session: Session, cause_id: int, *, actor: Actor, **changes) -> Cause:
    """Change a cause's name, receiving organisation, description or target.

    :raises CauseNotFound:
    :raises CauseNameTaken:
    """
    cause = get_cause(session, cause_id)
    unknown = set(changes) - set(EDITABLE_CAUSE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    before = _cause_state(cause)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        _ensure_cause_name_free(session, changes["name"], except_cause_id=cause_id)
    if "receiving_organisation" in changes:
        changes["receiving_organisation"] = changes["receiving_organisation"].strip()
    with _unique_cause_name(session, changes.get("name", cause.name)):
        for name, value in changes.items():
            setattr(cause, name, value)
        session.flush()
    record_audit(session, actor, "cause.edit", target_type="cause", target_id=cause_id, before=before,
                 after=_cause_state(cause))
    return cause


def set_cause_status(session: Session, cause_id: int, status: CauseStatus, *, actor: Actor) -> Cause:
    """Close a cause to new donations, or open it again; what it holds can still be disbursed.

    :raises CauseNotFound:
    :raises CauseStatusUnchanged:
    """
    cause = get_cause(session, cause_id)
    before = _cause_state(cause)
    # Conditional on the current status, so two staff members cannot both "close" it.
    changed = session.execute(
        update(Cause)
        .where(Cause.id == cause_id, Cause.status != str(status))
        .values(status=str(status), closed_at=utc_now() if status == CauseStatus.CLOSED else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise CauseStatusUnchanged(status=str(status))
    session.refresh(cause)
    record_audit(session, actor, f"cause.{'close' if status == CauseStatus.CLOSED else 'reopen'}",
                 target_type="cause", target_id=cause_id, before=before, after=_cause_state(cause))
    return cause


def summarise_cause(session: Session, cause: Cause) -> CauseSummary:
    """Return a cause with its balance and its disbursed total."""
    disbursed = session.scalar(
        select(func.coalesce(func.sum(Disbursement.points), 0)).where(Disbursement.cause_id == cause.id)
    )
    return CauseSummary(cause=cause, balance=get_balance(session, cause.account_id), disbursed=int(disbursed))


def list_causes(
    session: Session, *, status: CauseStatus | None = None, limit: int | None = None, cursor: str | None = None
) -> Page:
    """Return one page of causes with their figures, oldest first.

    :raises InvalidCursor:
    """
    query = select(Cause)
    if status is not None:
        query = query.where(Cause.status == str(status))
    page = fetch_page(session, query, Cause.id, limit=limit, cursor=cursor)
    return Page([summarise_cause(session, cause) for cause in page.items], page.next_cursor)


def _active_cause(session: Session, cause_id: int) -> Cause:
    cause = get_cause(session, cause_id)
    if cause.status != CauseStatus.ACTIVE:
        raise CauseClosed(name=cause.name)
    return cause


# --- donations ------------------------------------------------------------------------------

def _usable_holder(session: Session, volunteer_id: int) -> Card:
    holder = lock_current_card(session, volunteer_id)
    # A blocked card's points are frozen by staff; a lost card's points still belong to the volunteer.
    if holder.status == CardStatus.BLOCKED:
        raise CardNotActive(status=holder.status)
    return holder


def record_donation(
    session: Session,
    *,
    entry: JournalEntry,
    volunteer_id: int,
    cause: Cause,
    points: int,
    channel: DonationChannel,
    consent: Consent | None = None,
    recorded_by_user_id: int | None = None,
    campaign_id: int | None = None,
) -> Donation:
    """Write the receipt of a donation entry, or return it if that entry already has one (a replay)."""
    existing = session.scalar(select(Donation).where(Donation.entry_id == entry.id))
    if existing is not None:
        return existing
    donation = Donation(
        volunteer_id=volunteer_id,
        cause_id=cause.id,
        points=points,
        channel=str(channel),
        entry_id=entry.id,
        campaign_id=campaign_id,
        consent_method=str(consent.method) if consent else None,
        consent_note=consent.note if consent else "",
        witness_name=(consent.witness_name or None) if consent else None,
        witness_user_id=consent.witness_user_id if consent else None,
        recorded_by_user_id=recorded_by_user_id,
        created_at=entry.created_at,
    )
    session.add(donation)
    session.flush()
    return donation


def _donate(
    session: Session,
    *,
    volunteer_id: int,
    cause: Cause,
    points: int,
    channel: DonationChannel,
    idempotency_key: str | None,
    consent: Consent | None = None,
    actor_user_id: int | None = None,
    campaign_id: int | None = None,
    holder: Card | None = None,
) -> Donation:
    """Move points from the volunteer's card to the cause and write the receipt."""
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise InvalidAmount(amount=points)
    holder = holder or _usable_holder(session, volunteer_id)
    entry = transfer(
        session,
        kind="donation",
        from_account_id=holder.account_id,
        to_account_id=cause.account_id,
        amount=points,
        idempotency_key=idempotency_key,
        # What the caller asked for, not which card paid: a retry after a reissue is still the same request.
        fingerprint=request_fingerprint({"donation": volunteer_id, "cause": cause.id, "points": points}),
        memo=f"donation to {cause.name}",
        actor_user_id=actor_user_id,
    )
    return record_donation(
        session,
        entry=entry,
        volunteer_id=volunteer_id,
        cause=cause,
        points=points,
        channel=channel,
        consent=consent,
        recorded_by_user_id=actor_user_id,
        campaign_id=campaign_id,
    )


def donation_ledger_key(scope: str, idempotency_key: str, *, purpose: str = "donation") -> str:
    """Return the ledger idempotency key of a request, scoped to its purpose and the caller who sent it."""
    return f"{purpose}:{scope}:{idempotency_key}"


def donate_points(
    session: Session, *, volunteer_id: int, cause_id: int, points: int, idempotency_key: str | None = None
) -> Donation:
    """Donate some of the volunteer's own points to an active cause and return the receipt.

    :raises CauseNotFound:
    :raises CauseClosed:
    :raises VolunteerHasNoCard:
    :raises CardNotActive: the card is blocked.
    :raises InsufficientBalance:
    """
    cause = _active_cause(session, cause_id)
    return _donate(
        session,
        volunteer_id=volunteer_id,
        cause=cause,
        points=points,
        channel=DonationChannel.VOLUNTEER,
        idempotency_key=idempotency_key,
        consent=Consent(method=ConsentMethod.APP),
    )


def donate_on_behalf(
    session: Session,
    *,
    volunteer_id: int,
    cause_id: int,
    points: int,
    consent: Consent,
    actor: Actor,
    idempotency_key: str | None = None,
) -> Donation:
    """Convert a volunteer's points into a donation for them, recording their consent and the audit.

    :raises ConsentWitnessRequired:
    :raises UserNotFound: the witness user does not exist.
    :raises VolunteerNotFound:
    :raises CauseClosed:
    :raises InsufficientBalance:
    """
    consent.check(session)
    get_volunteer(session, volunteer_id)
    cause = _active_cause(session, cause_id)
    donation = _donate(
        session,
        volunteer_id=volunteer_id,
        cause=cause,
        points=points,
        channel=DonationChannel.STAFF,
        idempotency_key=idempotency_key,
        consent=consent,
        actor_user_id=actor.user_id,
    )
    record_audit(
        session, actor, "donation.on_behalf", target_type="donation", target_id=donation.id,
        after={"volunteer_id": volunteer_id, "cause_id": cause.id, "points": points, "consent": consent.as_dict()},
    )
    return donation


def get_donation(session: Session, donation_id: int, *, volunteer_id: int | None = None) -> Donation:
    """Return a donation; with volunteer_id, only if it is that volunteer's own.

    :raises DonationNotFound: it does not exist, or belongs to someone else (which must not leak).
    """
    donation = session.get(Donation, donation_id)
    if donation is None or (volunteer_id is not None and donation.volunteer_id != volunteer_id):
        raise DonationNotFound(donation_id=donation_id)
    return donation


def list_donations(
    session: Session,
    *,
    volunteer_id: int | None = None,
    cause_id: int | None = None,
    campaign_id: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """Return one page of donations, newest first, optionally of one volunteer, cause or campaign.

    :raises InvalidCursor:
    """
    query = select(Donation)
    if volunteer_id is not None:
        query = query.where(Donation.volunteer_id == volunteer_id)
    if cause_id is not None:
        query = query.where(Donation.cause_id == cause_id)
    if campaign_id is not None:
        query = query.where(Donation.campaign_id == campaign_id)
    return fetch_page(session, query, Donation.id, limit=limit, cursor=cursor, newest_first=True)


# --- disbursements --------------------------------------------------------------------------

def record_disbursement(
    session: Session,
    *,
    cause_id: int,
    points: int,
    memo: str,
    attachment_ref: str = "",
    actor: Actor,
    idempotency_key: str | None = None,
) -> Disbursement:
    """Record the centre handing a cause's collected points over: `cause → disbursed`.

    A closed cause can still be disbursed: closing only stops new donations.

    :raises DisbursementMemoRequired:
    :raises CauseNotFound:
    :raises DisbursementExceedsBalance: the cause holds less than that; nothing is posted.
    """
    if not memo or not memo.strip():
        raise DisbursementMemoRequired()
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise InvalidAmount(amount=points)
    cause = get_cause(session, cause_id)
    try:
        entry = transfer(
            session,
            kind="disbursement",
            from_account_id=cause.account_id,
            to_account_id=system_account(session, AccountKind.DISBURSED).id,
            amount=points,
            idempotency_key=idempotency_key,
            memo=memo.strip(),
            actor_user_id=actor.user_id,
        )
    except InsufficientBalance as error:
        # The conditional debit already refused it; say so in the cause's own terms.
        raise DisbursementExceedsBalance(available=error.params["available"], requested=points) from error
    existing = session.scalar(select(Disbursement).where(Disbursement.entry_id == entry.id))
    if existing is not None:
        return existing
    disbursement = Disbursement(
        cause_id=cause.id,
        points=points,
        memo=memo.strip(),
        attachment_ref=attachment_ref.strip(),
        entry_id=entry.id,
        recorded_by_user_id=actor.user_id,
        created_at=entry.created_at,
    )
    session.add(disbursement)
    session.flush()
    record_audit(
        session, actor, "disbursement.record", target_type="cause", target_id=cause.id,
        after={"disbursement_id": disbursement.id, "points": points, "memo": disbursement.memo,
               "attachment_ref": disbursement.attachment_ref},
    )
    return disbursement


def list_disbursements(
    session: Session, *, cause_id: int | None = None, limit: int | None = None, cursor: str | None = None
) -> Page:
    """Return one page of disbursements, newest first, optionally of one cause.

    :raises InvalidCursor:
    """
    query = select(Disbursement)
    if cause_id is not None:
        query = query.where(Disbursement.cause_id == cause_id)
    return fetch_page(session, query, Disbursement.id, limit=limit, cursor=cursor, newest_first=True)


# --- campaigns ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignSelection:
    """Which volunteers a campaign picks; every given criterion must hold."""

    volunteer_ids: tuple[int, ...] = ()
    min_balance: int | None = None
    volunteer_status: VolunteerStatus | None = VolunteerStatus.ACTIVE
    # Volunteered there: at least one approved claim at this organisation.
    organisation_id: int | None = None

    def as_dict(self) -> dict:
        """Return the filter as plain data, as the campaign keeps it."""
        return {
            "volunteer_ids": list(self.volunteer_ids),
            "min_balance": self.min_balance,
            "volunteer_status": None if self.volunteer_status is None else str(self.volunteer_status),
            "organisation_id": self.organisation_id,
        }


def select_campaign_volunteers(session: Session, selection: CampaignSelection) -> list[int]:
    """Return the ids of the volunteers a selection picks, in id order.

    :raises VolunteerNotFound: an explicitly named volunteer does not exist.
    """
    if selection.volunteer_ids:
        named = set(selection.volunteer_ids)
        found = set(session.scalars(select(Volunteer.id).where(Volunteer.id.in_(named))))
        if named - found:
            raise VolunteerNotFound(volunteer_id=min(named - found))
    query = select(Volunteer.id).order_by(Volunteer.id)
    if selection.volunteer_ids:
        query = query.where(Volunteer.id.in_(set(selection.volunteer_ids)))
    if selection.volunteer_status is not None:
        query = query.where(Volunteer.status == str(selection.volunteer_status))
    if selection.min_balance is not None:
        balance = (
            select(func.coalesce(func.sum(Account.balance), 0))
            .select_from(Card)
            .join(Account, Account.id == Card.account_id)
            .where(Card.volunteer_id == Volunteer.id)
            .correlate(Volunteer)
            .scalar_subquery()
        )
        query = query.where(balance >= selection.min_balance)
    if selection.organisation_id is not None:
        query = query.where(
            exists().where(
                Claim.volunteer_id == Volunteer.id,
                Claim.organisation_id == selection.organisation_id,
                Claim.state == str(ClaimState.APPROVED),
            )
        )
    return list(session.scalars(query))


def create_campaign(
    session: Session,
    *,
    name: str,
    cause_id: int,
    selection: CampaignSelection,
    points_per_volunteer: int | None,
    consent_method: ConsentMethod,
    consent_note: str,
    actor: Actor,
) -> Campaign:
    """Create a campaign with one pending item per selected volunteer; nothing is donated until it runs.

    The volunteers are fixed now, so a run, a rerun and a resumed run all work through the same list.
    points_per_volunteer None donates each volunteer's whole balance at the moment of their turn.

    :raises CauseClosed:
    :raises ConsentNoteRequired: staff must say how consent was collected (not needed for in-app consent).
    :raises CampaignSelectsNobody:
    :raises CampaignTooLarge:
    """
    if points_per_volunteer is not None and points_per_volunteer <= 0:
        raise InvalidAmount(amount=points_per_volunteer)
    if consent_method != ConsentMethod.APP and not consent_note.strip():
        raise ConsentNoteRequired()
    cause = _active_cause(session, cause_id)
    volunteer_ids = select_campaign_volunteers(session, selection)
    if not volunteer_ids:
        raise CampaignSelectsNobody()
    if len(volunteer_ids) > MAX_CAMPAIGN_VOLUNTEERS:
        raise CampaignTooLarge(max_volunteers=MAX_CAMPAIGN_VOLUNTEERS, selected=len(volunteer_ids))
    campaign = Campaign(
        name=name.strip(),
        cause_id=cause.id,
        points_per_volunteer=points_per_volunteer,
        selection=selection.as_dict(),
        consent_method=str(consent_method),
        consent_note=consent_note.strip(),
        state=CampaignState.READY,
        created_by_user_id=actor.user_id,
    )
    session.add(campaign)
    session.flush()
    session.execute(
        insert(CampaignItem),
        [
            {"campaign_id": campaign.id, "volunteer_id": volunteer_id, "state": str(CampaignItemState.PENDING)}
            for volunteer_id in volunteer_ids
        ],
    )
    record_audit(
        session, actor, "campaign.create", target_type="campaign", target_id=campaign.id,
        after={"name": campaign.name, "cause_id": cause.id, "points_per_volunteer": points_per_volunteer,
               "selection": campaign.selection, "volunteers": len(volunteer_ids),
               "consent_method": campaign.consent_method, "consent_note": campaign.consent_note},
    )
    return campaign


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    """Return a campaign.

    :raises CampaignNotFound:
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(campaign_id=campaign_id)
    return campaign


@dataclass(frozen=True)
class CampaignProgress:
    """A campaign and how far it got: items per state and the points donated so far."""

    campaign: Campaign
    cause_name: str
    counts: dict[str, int] = field(default_factory=dict)
    points_donated: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def campaign_progress(session: Session, campaign_id: int) -> CampaignProgress:
    """Return a campaign with its per-state item counts and the points it has donated.

    :raises CampaignNotFound:
    """
    campaign = get_campaign(session, campaign_id)
    counts = {str(state): 0 for state in CampaignItemState}
    rows = session.execute(
        select(CampaignItem.state, func.count(), func.coalesce(func.sum(CampaignItem.points), 0))
        .where(CampaignItem.campaign_id == campaign_id)
        .group_by(CampaignItem.state)
    )
    points_donated = 0
    for state, count, points in rows:
        counts[state] = count
        if state == CampaignItemState.DONE:
            points_donated = int(points)
    return CampaignProgress(
        campaign=campaign, cause_name=get_cause(session, campaign.cause_id).name, counts=counts,
        points_donated=points_donated,
    )


def list_campaigns(session: Session, *, limit: int | None = None, cursor: str | None = None) -> Page:
    """Return one page of campaigns with their progress, newest first.

    :raises InvalidCursor:
    """
    page = fetch_page(session, select(Campaign), Campaign.id, limit=limit, cursor=cursor, newest_first=True)
    return Page([campaign_progress(session, campaign.id) for campaign in page.items], page.next_cursor)


def list_campaign_items(
    session: Session,
    campaign_id: int,
    *,
    state: CampaignItemState | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """Return one page of a campaign's per-volunteer results, in the order they are processed.

    :raises CampaignNotFound:
    """
    get_campaign(session, campaign_id)
    query = select(CampaignItem).where(CampaignItem.campaign_id == campaign_id)
    if state is not None:
        query = query.where(CampaignItem.state == str(state))
    return fetch_page(session, query, CampaignItem.id, limit=limit, cursor=cursor)


def campaign_ledger_key(campaign_id: int, volunteer_id: int) -> str:
    """Return the ledger idempotency key of one volunteer's donation in one campaign."""
    return f"campaign:{campaign_id}:volunteer:{volunteer_id}"


def run_campaign(
    session_factory: Callable[[], Session], campaign_id: int, *, actor: Actor
) -> CampaignProgress:
    """Work through a campaign's pending volunteers and return its progress; safe to run again at any time.

    This is a batch job, so it commits as it goes instead of running in the caller's unit of work:
    each volunteer is one transaction (their item row, their ledger entry and their receipt commit
    together or not at all, retried on conflicts). A crash therefore never leaves a volunteer half
    posted; it leaves the remaining items pending, and the next run picks them up. Items that are
    done, skipped or failed are never touched again, and the ledger key per campaign and volunteer
    would replay rather than post a second entry even if they were. Two staff running the same
    campaign at once is safe too: each item is claimed under its row lock.

    Do not call it with a session of your own open on SQLite: that session holds the write lock.

    :raises CampaignNotFound:
    :raises CauseClosed: the cause was closed after the campaign was created; nothing is donated.
    """
    run_in_transaction(session_factory, lambda session: _start_campaign(session, campaign_id, actor))
    after_id = 0
    while True:
        item_ids = run_in_transaction(
            session_factory, lambda session, after_id=after_id: _pending_item_ids(session, campaign_id, after_id)
        )
        if not item_ids:
            break
        for item_id in item_ids:
            run_in_transaction(
                session_factory, lambda session, item_id=item_id: _process_item(session, item_id, actor)
            )
        after_id = item_ids[-1]
    return run_in_transaction(session_factory, lambda session: _finish_campaign(session, campaign_id))


def _start_campaign(session: Session, campaign_id: int, actor: Actor) -> None:
    campaign = get_campaign(session, campaign_id)
    if campaign.state == CampaignState.COMPLETED:
        return
    _active_cause(session, campaign.cause_id)
    if campaign.started_at is None:
        campaign.started_at = utc_now()
    campaign.state = CampaignState.RUNNING
    session.flush()
    record_audit(session, actor, "campaign.run", target_type="campaign", target_id=campaign_id)


def _pending_item_ids(session: Session, campaign_id: int, after_id: int) -> list[int]:
    return list(
        session.scalars(
            select(CampaignItem.id)
            .where(
                CampaignItem.campaign_id == campaign_id,
                CampaignItem.state == str(CampaignItemState.PENDING),
                CampaignItem.id > after_id,
            )
            .order_by(CampaignItem.id)
            .limit(CAMPAIGN_FETCH_SIZE)
        )
    )


def _process_item(session: Session, item_id: int, actor: Actor) -> None:
    """Donate one campaign volunteer's share, or record why not, in the caller's (single) transaction."""
    item = session.scalars(
        select(CampaignItem)
        .where(CampaignItem.id == item_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if item.state != CampaignItemState.PENDING:
        return  # another run got here first
    campaign = get_campaign(session, item.campaign_id)
    key = campaign_ledger_key(campaign.id, item.volunteer_id)
    try:
        with session.begin_nested():
            donation = session.scalar(
                select(Donation).join(JournalEntry, JournalEntry.id == Donation.entry_id)
                .where(JournalEntry.idempotency_key == key)
            ) or _donate_campaign_share(session, campaign, item.volunteer_id, key, actor)
    except SKIPPING_ERRORS as error:
        _settle_item(item, CampaignItemState.SKIPPED, reason=error.code)
    except DomainError as error:
        _settle_item(item, CampaignItemState.FAILED, reason=error.code)
    else:
        if donation is None:
            _settle_item(item, CampaignItemState.SKIPPED, reason=NOTHING_TO_DONATE)
        else:
            _settle_item(item, CampaignItemState.DONE, points=donation.points, donation_id=donation.id,
                         entry_id=donation.entry_id)
    session.flush()


def _donate_campaign_share(
    session: Session, campaign: Campaign, volunteer_id: int, key: str, actor: Actor
) -> Donation | None:
    """Donate one volunteer's share; None when a whole-balance campaign finds nothing to give."""
    holder = _usable_holder(session, volunteer_id)
    points = campaign.points_per_volunteer
    if points is None:
        # Lock the balance too, so that nothing spends from it between this read and the debit.
        points = session.scalar(select(Account.balance).where(Account.id == holder.account_id).with_for_update())
        if points == 0:
            return None
    return _donate(
        session,
        volunteer_id=volunteer_id,
        cause=get_cause(session, campaign.cause_id),
        points=points,
        channel=DonationChannel.CAMPAIGN,
        idempotency_key=key,
        consent=Consent(method=ConsentMethod(campaign.consent_method), note=campaign.consent_note),
        actor_user_id=actor.user_id,
        campaign_id=campaign.id,
        holder=holder,
    )


def _settle_item(item: CampaignItem, state: CampaignItemState, **values) -> None:
    item.state = str(state)
    item.processed_at = utc_now()
    for name, value in values.items():
        setattr(item, name, value)


def _finish_campaign(session: Session, campaign_id: int) -> CampaignProgress:
    progress = campaign_progress(session, campaign_id)
    campaign = progress.campaign
    if progress.counts[CampaignItemState.PENDING] == 0 and campaign.state != CampaignState.COMPLETED:
        campaign.state = CampaignState.COMPLETED
        campaign.finished_at = utc_now()
        session.flush()
    return progress
