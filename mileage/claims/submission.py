"""Submitting hours: by a coordinator or staff (the volunteer by id or by card number), or by the volunteer.

A coordinator works for one organisation: `organisation_scope` is the organisation the caller is
confined to (None for staff, who see every organisation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.cards.lookup import find_card_by_number
from mileage.claims.rules import ClaimPolicy, ClaimRequest, check_claim_policy, policy_on
from mileage.errors import (
    ClaimOrganisationRequired,
    ClaimVolunteerMismatch,
    ClaimVolunteerRequired,
    NotOwner,
    SelfSubmissionDisabled,
    VolunteerInactive,
    VolunteerNameMismatch,
)
from mileage.models import (
    Claim,
    ClaimState,
    VolunteerStatus,
)
from mileage.people.organisations import get_organisation
from mileage.people.volunteers import get_volunteer


def submit_claim(
    session: Session,
    request: ClaimRequest,
    *,
    actor: Actor,
    policy: ClaimPolicy | None = None,
    now: datetime | None = None,
) -> Claim:
    """Record a claim after checking it against the policy (the rule set of its day unless given); it waits for review.

    :raises VolunteerNotFound:
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
        submitted_by_user_id=actor.user_id,
    )
    session.add(claim)
    session.flush()
    record_audit(session, actor, "claim.submit", target_type="claim", target_id=claim.id, after=_claim_state(claim))
    return claim


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
        card = find_card_by_number(session, draft.card_number)
        if volunteer_id is not None and volunteer_id != card.volunteer_id:
            raise ClaimVolunteerMismatch(volunteer_id=volunteer_id)
        volunteer_id = card.volunteer_id
    if volunteer_id is None:
        raise ClaimVolunteerRequired()
    volunteer = get_volunteer(session, volunteer_id)
    if draft.volunteer_name and "".join(draft.volunteer_name.split()) != "".join(volunteer.name.split()):
        raise VolunteerNameMismatch(volunteer_id=volunteer_id)
    return volunteer_id


def submit_claim_draft(
    session: Session,
    draft: ClaimDraft,
    *,
    actor: Actor,
    policy: ClaimPolicy | None,
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
    request = ClaimRequest(
        volunteer_id=_volunteer_of(session, draft),
        organisation_id=organisation_id,
        work_date=draft.work_date,
        start_minute=draft.start_minute,
        end_minute=draft.end_minute,
        category=draft.category,
        note=draft.note,
    )
    return submit_claim(session, request, actor=actor, policy=policy, now=now)


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


def submit_my_claim(session: Session, request: ClaimRequest, *, actor: Actor, policy: ClaimPolicy | None) -> Claim:
    """Record hours the volunteer claims for themself, if the centre accepts self-submitted claims.

    :raises SelfSubmissionDisabled:
    :raises VolunteerInactive:
    :raises OrganisationNotFound:
    :raises RuleViolation: one of the claim policy rules, by name.
    """
    from mileage.claims.self_submission import volunteers_may_submit

    policy = policy_on(session, request.work_date, policy)
    if not volunteers_may_submit(session, request.work_date, policy=policy):
        raise SelfSubmissionDisabled()
    return submit_claim(session, request, actor=actor, policy=policy)
