"""Hours claims as coordinators and staff handle them: submission, listing, review, reversal.

A coordinator works for one organisation: every function here takes `organisation_scope`, the
organisation the caller is confined to (None for staff, who see every organisation). Every change
is written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mileage import cards, claims
from mileage.audit import Actor, record_audit
from mileage.errors import (
    ClaimNotFound,
    ClaimOrganisationRequired,
    ClaimVolunteerMismatch,
    ClaimVolunteerRequired,
    NotOwner,
    VolunteerNameMismatch,
)
from mileage.models import Claim
from mileage.pagination import Page, fetch_page

# ASCII digits only: \d would also accept digits from other scripts.
_CLOCK_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def parse_clock_time(text: str) -> int:
    """Return the minutes since midnight of an "HH:MM" time; "24:00" is the end of the day.

    :raises ValueError: not an HH:MM time of one day.
    """
    match = _CLOCK_TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(text)
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(text)
    return hours * 60 + minutes


def format_clock_time(minute_of_day: int) -> str:
    """Return minutes since midnight as "HH:MM"."""
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


@dataclass(frozen=True)
class ClaimDraft:
    """A claim as a coordinator or staff member enters it: the volunteer by id or by card number.

    `organisation_id` may be left out by a coordinator (their own organisation is meant), and
    `volunteer_name`, when given, must match: a typo in a card number must not credit a stranger.
    """

    work_date: date
    start_minute: int
    end_minute: int
    category: str
    note: str = ""
    organisation_id: int | None = None
    volunteer_id: int | None = None
    card_number: str | None = None
    volunteer_name: str | None = None


def organisation_in_scope(organisation_id: int | None, organisation_scope: int | None) -> int:
    """Return the organisation a claim is for, refusing one outside the caller's scope.

    :raises ClaimOrganisationRequired:
    :raises NotOwner: a coordinator named another organisation.
    """
    organisation_id = organisation_id or organisation_scope
    if organisation_id is None:
        raise ClaimOrganisationRequired()
    if organisation_scope is not None and organisation_id != organisation_scope:
        raise NotOwner(organisation_id=organisation_id)
    return organisation_id


def _volunteer_of(session: Session, draft: ClaimDraft) -> int:
    """Return the volunteer a draft names, by id, by card number, or by both when they agree."""
    volunteer_id = draft.volunteer_id
    if draft.card_number:
        card = cards.find_card_by_number(session, draft.card_number)
        if volunteer_id is not None and volunteer_id != card.volunteer_id:
            raise ClaimVolunteerMismatch(volunteer_id=volunteer_id)
        volunteer_id = card.volunteer_id
    if volunteer_id is None:
        raise ClaimVolunteerRequired()
    volunteer = cards.get_volunteer(session, volunteer_id)
    if draft.volunteer_name and "".join(draft.volunteer_name.split()) != "".join(volunteer.name.split()):
        raise VolunteerNameMismatch(volunteer_id=volunteer_id)
    return volunteer_id


def submit_claim_draft(
    session: Session,
    draft: ClaimDraft,
    *,
    actor: Actor,
    policy: claims.ClaimPolicy,
    organisation_scope: int | None = None,
    now: datetime | None = None,
) -> Claim:
    """Record one claim after checking whose it is and the policy; it waits for review.

    :raises NotOwner: a coordinator named another organisation.
    :raises ClaimOrganisationRequired:
    :raises ClaimVolunteerRequired:
    :raises ClaimVolunteerMismatch:
    :raises VolunteerNameMismatch:
    :raises InvalidCardNumber:
    :raises CardNotFound:
    :raises VolunteerNotFound:
    :raises VolunteerInactive:
    :raises OrganisationNotFound:
    :raises RuleViolation: a policy rule (overlap, daily limit, future, window, times), by name.
    """
    organisation_id = organisation_in_scope(draft.organisation_id, organisation_scope)
    request = claims.ClaimRequest(
        volunteer_id=_volunteer_of(session, draft),
        organisation_id=organisation_id,
        work_date=draft.work_date,
        start_minute=draft.start_minute,
        end_minute=draft.end_minute,
        category=draft.category,
        note=draft.note,
    )
    claim = claims.submit_claim(session, request, submitted_by_user_id=actor.user_id, policy=policy, now=now)
    record_audit(session, actor, "claim.submit", target_type="claim", target_id=claim.id, after=_claim_state(claim))
    return claim


def get_claim_in_scope(session: Session, claim_id: int, *, organisation_scope: int | None = None) -> Claim:
    """Return a claim the caller may see.

    :raises ClaimNotFound: no such claim, or (for a coordinator) another organisation's, so that
        claim ids of other organisations do not leak.
    """
    claim = claims.get_claim(session, claim_id)
    if organisation_scope is not None and claim.organisation_id != organisation_scope:
        raise ClaimNotFound(claim_id=claim_id)
    return claim


def list_claims(
    session: Session,
    *,
    organisation_scope: int | None = None,
    state: str | None = None,
    organisation_id: int | None = None,
    volunteer_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Claim]:
    """Return claims newest first, filtered by state, organisation, volunteer and work dates (inclusive).

    :raises NotOwner: a coordinator asked for another organisation.
    :raises InvalidCursor:
    """
    statement = select(Claim).options(selectinload(Claim.volunteer), selectinload(Claim.organisation))
    if organisation_id is not None or organisation_scope is not None:
        statement = statement.where(Claim.organisation_id == organisation_in_scope(organisation_id, organisation_scope))
    if state:
        statement = statement.where(Claim.state == state)
    if volunteer_id is not None:
        statement = statement.where(Claim.volunteer_id == volunteer_id)
    if date_from is not None:
        statement = statement.where(Claim.work_date >= date_from)
    if date_to is not None:
        statement = statement.where(Claim.work_date <= date_to)
    return fetch_page(session, statement, Claim.id, limit=limit, cursor=cursor, newest_first=True)


def approve_claim(session: Session, claim_id: int, *, actor: Actor, policy: claims.ClaimPolicy) -> Claim:
    """Approve a submitted claim and credit its points to the volunteer's card, exactly once.

    :raises ClaimNotFound:
    :raises ClaimAlreadyReviewed:
    :raises VolunteerHasNoCard:
    """
    claim = claims.approve_claim(session, claim_id, reviewer_id=actor.user_id, policy=policy)
    _record_approval(session, claim, actor)
    return claim


def _record_approval(session: Session, claim: Claim, actor: Actor, *, flush: bool = True) -> None:
    record_audit(
        session,
        actor,
        "claim.approve",
        target_type="claim",
        target_id=claim.id,
        before={"state": "submitted"},
        after={"state": claim.state, "points": claim.points},
        flush=flush,
    )


def approve_claims(
    session: Session, claim_ids: Iterable[int], *, actor: Actor, policy: claims.ClaimPolicy
) -> claims.BulkResult:
    """Approve many claims, each on its own: a bad claim is reported and the others still go through."""
    result = claims.approve_claims(session, claim_ids, reviewer_id=actor.user_id, policy=policy)
    for claim in result.approved:
        _record_approval(session, claim, actor, flush=False)
    session.flush()
    return result


def reject_claim(session: Session, claim_id: int, *, actor: Actor, reason: str) -> Claim:
    """Reject a submitted claim with a reason the volunteer will read.

    :raises ClaimNotFound:
    :raises RejectionReasonRequired:
    :raises ClaimAlreadyReviewed:
    """
    claim = claims.reject_claim(session, claim_id, reviewer_id=actor.user_id, reason=reason)
    record_audit(
        session,
        actor,
        "claim.reject",
        target_type="claim",
        target_id=claim_id,
        before={"state": "submitted"},
        after={"state": claim.state, "reason": claim.rejection_reason},
    )
    return claim


def reverse_claim(session: Session, claim_id: int, *, actor: Actor, reason: str) -> Claim:
    """Take back an approved claim's points as far as the card's balance allows.

    :raises ClaimNotFound:
    :raises ClaimNotApproved:
    :raises VolunteerHasNoCard:
    """
    claim = claims.reverse_claim(session, claim_id, reviewer_id=actor.user_id, reason=reason)
    record_audit(
        session,
        actor,
        "claim.reverse",
        target_type="claim",
        target_id=claim_id,
        before={"state": "approved", "points": claim.points},
        after={
            "state": claim.state,
            "recovered_points": recovered_points(claim),
            "unrecovered_points": claim.unrecovered_points,
            "reason": reason,
        },
    )
    return claim


def recovered_points(claim: Claim) -> int | None:
    """Return how many points a reversal took back (None unless the claim was reversed)."""
    if claim.unrecovered_points is None:
        return None
    return (claim.points or 0) - claim.unrecovered_points


def _claim_state(claim: Claim) -> dict:
    return {
        "state": claim.state,
        "volunteer_id": claim.volunteer_id,
        "organisation_id": claim.organisation_id,
        "work_date": claim.work_date.isoformat(),
        "start": format_clock_time(claim.start_minute),
        "end": format_clock_time(claim.end_minute),
        "category": claim.category,
    }
