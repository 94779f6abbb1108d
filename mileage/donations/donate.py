"""Donating points: by the volunteer, or by staff on the volunteer's behalf with recorded consent.

Every donation is one `card → cause` ledger entry plus a Donation row that is its receipt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.cards.lookup import lock_current_card
from mileage.clock import seoul_day_start, seoul_today
from mileage.donations.causes import get_open_cause
from mileage.errors import (
    CardNotActive,
    ConsentWitnessRequired,
    DonationNotFound,
    DonationTargetReached,
    DonationYearlyCapReached,
    InvalidAmount,
    UserNotFound,
)
from mileage.ledger import keep_refusal, request_fingerprint, transfer
from mileage.models import (
    Card,
    CardStatus,
    Cause,
    ConsentMethod,
    Donation,
    DonationChannel,
    EntryKind,
    JournalEntry,
    User,
)
from mileage.pagination import Page, fetch_page
from mileage.people.volunteers import get_volunteer


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


def lock_donor_card(session: Session, volunteer_id: int) -> Card:
    """Lock and return the card a volunteer's donation is paid from.

    :raises VolunteerHasNoCard:
    :raises CardNotActive: the card is blocked.
    """
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


def donate_from_card(
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
    holder = holder or lock_donor_card(session, volunteer_id)
    fingerprint = request_fingerprint({"donation": volunteer_id, "cause": cause.id, "points": points})
    try:
        enforce_donation_limits(session, volunteer_id=volunteer_id, cause=cause, points=points,
                                idempotency_key=idempotency_key)
    except (DonationYearlyCapReached, DonationTargetReached) as refusal:
        keep_refusal(session, refusal, kind=EntryKind.DONATION, idempotency_key=idempotency_key,
                     fingerprint=fingerprint, actor_user_id=actor_user_id)
        raise
    entry = transfer(
        session,
        kind=EntryKind.DONATION,
        from_account_id=holder.account_id,
        to_account_id=cause.account_id,
        amount=points,
        idempotency_key=idempotency_key,
        # What the caller asked for, not which card paid: a retry after a reissue is still the same request.
        fingerprint=fingerprint,
        memo_params={"cause": cause.name},
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


def enforce_donation_limits(
    session: Session, *, volunteer_id: int, cause: Cause, points: int, idempotency_key: str | None
) -> None:
    """Refuse a donation past the cause's yearly cap per volunteer or its campaign target.

    Runs with the donor's card locked (one donation per volunteer at a time, so the yearly cap holds);
    a cause with a target is row-locked after the card and before the ledger accounts, so two donors
    cannot both take the last of it. A retry of a donation already made is not counted against itself.

    :raises DonationYearlyCapReached:
    :raises DonationTargetReached:
    """
    if cause.yearly_cap_per_volunteer is None and cause.target_points is None:
        return
    if idempotency_key is not None and session.scalar(
        select(JournalEntry.id).where(JournalEntry.idempotency_key == idempotency_key)
    ) is not None:
        return
    if cause.yearly_cap_per_volunteer is not None:
        year = seoul_today().year
        given = int(session.scalar(
            select(func.coalesce(func.sum(Donation.points), 0)).where(
                Donation.volunteer_id == volunteer_id, Donation.cause_id == cause.id,
                Donation.created_at >= seoul_day_start(date(year, 1, 1)),
                Donation.created_at < seoul_day_start(date(year + 1, 1, 1)),
            )
        ))
        if given + points > cause.yearly_cap_per_volunteer:
            raise DonationYearlyCapReached(cap=cause.yearly_cap_per_volunteer,
                                           remaining=max(0, cause.yearly_cap_per_volunteer - given))
    if cause.target_points is not None:
        session.execute(select(Cause.id).where(Cause.id == cause.id).with_for_update())
        raised = int(session.scalar(select(func.coalesce(func.sum(Donation.points), 0))
                                    .where(Donation.cause_id == cause.id)))
        if raised + points > cause.target_points:
            raise DonationTargetReached(target=cause.target_points, remaining=max(0, cause.target_points - raised))


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
    cause = get_open_cause(session, cause_id)
    return donate_from_card(
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
    cause = get_open_cause(session, cause_id)
    donation = donate_from_card(
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
