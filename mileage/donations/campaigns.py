"""Campaigns: staff convert many volunteers' points into donations at once, one transaction per volunteer.

A campaign is resumable and idempotent: each volunteer's share has its own ledger key, and a rerun
processes only the items still pending.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.db import run_in_transaction
from mileage.donations.causes import get_cause, get_open_cause
from mileage.donations.donate import Consent, donate_from_card, lock_donor_card
from mileage.errors import (
    CampaignNotFound,
    CampaignSelectsNobody,
    CampaignTooLarge,
    CardNotActive,
    ConsentNoteRequired,
    DomainError,
    InsufficientBalance,
    InvalidAmount,
    VolunteerHasNoCard,
    VolunteerNotFound,
)
from mileage.models import (
    Account,
    Campaign,
    CampaignItem,
    CampaignItemState,
    CampaignState,
    Card,
    Claim,
    ClaimState,
    ConsentMethod,
    Donation,
    DonationChannel,
    JournalEntry,
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
    cause = get_open_cause(session, cause_id)
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


def request_campaign_run(session: Session, campaign_id: int, *, actor: Actor) -> CampaignProgress:
    """Ask for a campaign to be run (or resumed) by the background worker; return its progress.

    A run can take minutes for a whole district, so it never runs inside a staff member's request.
    Asking again before the worker got to it changes nothing; a completed campaign is left alone.

    :raises CampaignNotFound:
    :raises CauseClosed: the cause was closed after the campaign was created.
    """
    campaign = get_campaign(session, campaign_id)
    if campaign.state != CampaignState.COMPLETED and campaign.run_requested_at is None:
        get_open_cause(session, campaign.cause_id)
        campaign.run_requested_at = utc_now()
        campaign.run_requested_by_user_id = actor.user_id
        session.flush()
        record_audit(session, actor, "campaign.run_requested", target_type="campaign", target_id=campaign.id)
    return campaign_progress(session, campaign_id)


def run_requested_campaigns(session_factory: Callable[[], Session], *, actor: Actor) -> list[CampaignProgress]:
    """Run every campaign whose run was requested and is not complete, oldest request first.

    A batch job like `run_campaign`: safe to run from two workers at once, and after a crash.
    """
    requested = run_in_transaction(session_factory, requested_campaign_ids)
    return [run_campaign(session_factory, campaign_id, actor=actor) for campaign_id in requested]


def requested_campaign_ids(session: Session) -> list[int]:
    """Return the campaigns whose run was requested and is not complete, oldest request first."""
    return list(
        session.scalars(
            select(Campaign.id)
            .where(Campaign.run_requested_at.is_not(None), Campaign.state != str(CampaignState.COMPLETED))
            .order_by(Campaign.run_requested_at, Campaign.id)
        )
    )


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
    get_open_cause(session, campaign.cause_id)
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
    holder = lock_donor_card(session, volunteer_id)
    points = campaign.points_per_volunteer
    if points is None:
        # Lock the balance too, so that nothing spends from it between this read and the debit.
        points = session.scalar(select(Account.balance).where(Account.id == holder.account_id).with_for_update())
        if points == 0:
            return None
    return donate_from_card(
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
