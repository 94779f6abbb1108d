"""Check-in at the volunteering site: the card tapped at the door, as in the Nowon programme.

The first scan of a card at a site checks the volunteer in (with the category chosen on the kiosk);
the next scan of the same card at the same site checks them out, and the visit becomes a submitted
claim for that Seoul day, from the check-in minute to the check-out minute, under every claim rule
(8 h a day, no overlaps across all organisations, the window). A check-out that a rule refuses, and
a visit still open when its day is over, are flagged for the coordinator: never paid as they are.
The coordinator then gives the times (audited), which submits the claim under the same rules; a
claim from a visit can also be corrected the same way until staff review it.

Scans are single-use like the counter's: a dynamic QR token is spent by the scan that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.cards.qr import read_scan, use_qr_token
from mileage.claims.rules import ClaimPolicy, ClaimRequest, check_claim_policy
from mileage.claims.submission import format_clock_time, submit_claim
from mileage.clock import SEOUL, utc_now
from mileage.db import update_rows
from mileage.errors import (
    CardNotActive,
    ClaimAlreadyReviewed,
    DomainError,
    NotOwner,
    RuleViolation,
    SiteCategoryRequired,
    SiteVisitNotCorrectable,
    SiteVisitNotFound,
    SiteVisitOpenElsewhere,
    SiteVisitStillOpen,
    SiteVisitTooShort,
    VolunteerInactive,
)
from mileage.models import Card, CardStatus, Claim, ClaimState, Organisation, SiteVisit, SiteVisitState, VolunteerStatus
from mileage.people.organisations import get_organisation
from mileage.people.tokens import TokenSigner

MAX_CATEGORY_LENGTH = 50


class ScanAction:
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    # Checked out, but the claim broke a rule: the visit waits for the coordinator.
    CHECK_OUT_FLAGGED = "check_out_flagged"


@dataclass
class SiteScan:
    """What a scan at the site did."""

    action: str
    visit: SiteVisit
    claim: Claim | None = None
    refusal: DomainError | None = None


def _local(moment: datetime) -> datetime:
    return moment.astimezone(SEOUL)


def _minute_of_day(moment: datetime) -> int:
    local = _local(moment)
    return local.hour * 60 + local.minute


def flag_stale_visits(session: Session, *, now: datetime | None = None, organisation_id: int | None = None) -> int:
    """Flag every visit still open after its Seoul day ended; return how many were flagged."""
    today = _local(now or utc_now()).date()
    conditions = [SiteVisit.state == SiteVisitState.OPEN, SiteVisit.work_date < today]
    if organisation_id is not None:
        conditions.append(SiteVisit.organisation_id == organisation_id)
    flagged = update_rows(session, SiteVisit, *conditions, state=SiteVisitState.FLAGGED)
    if flagged:
        session.expire_all()
    return flagged


def _open_visit(session: Session, volunteer_id: int) -> SiteVisit | None:
    return session.scalar(
        select(SiteVisit).where(SiteVisit.volunteer_id == volunteer_id, SiteVisit.state == SiteVisitState.OPEN)
    )


def scan_at_site(
    session: Session,
    signer: TokenSigner,
    scanned: str,
    *,
    organisation_id: int,
    category: str,
    actor: Actor,
    policy: ClaimPolicy,
    device_id: int | None = None,
    now: datetime | None = None,
) -> SiteScan:
    """Check the scanned card's volunteer in at an organisation, or out if they are checked in there.

    :raises QrTokenInvalid: not a card number or a token of ours (forged, another kind of token).
    :raises QrTokenExpired:
    :raises QrTokenReplayed: the token was already used, here or at a shop.
    :raises CardNotFound:
    :raises CardNotActive:
    :raises VolunteerInactive:
    :raises SiteCategoryRequired: a check-in without a category.
    :raises SiteVisitOpenElsewhere:
    :raises SiteVisitTooShort: a check-out in the same minute as the check-in (a double scan).
    """
    now = now or utc_now()
    organisation = get_organisation(session, organisation_id)
    scan = read_scan(session, signer, scanned)
    # One scan of a card at a time, wherever: the second of two racing scans sees the first's visit.
    card = session.scalar(select(Card).where(Card.id == scan.card.id).with_for_update())
    if card.status != CardStatus.ACTIVE:
        raise CardNotActive(card_id=card.id)
    if card.volunteer.status != VolunteerStatus.ACTIVE:
        raise VolunteerInactive(volunteer_id=card.volunteer_id)
    flag_stale_visits(session, now=now)
    visit = _open_visit(session, card.volunteer_id)
    if visit is not None and visit.organisation_id != organisation.id:
        elsewhere = session.get(Organisation, visit.organisation_id)
        raise SiteVisitOpenElsewhere(organisation=elsewhere.name if elsewhere else visit.organisation_id)
    if visit is None:
        category = (category or "").strip()
        if not category or len(category) > MAX_CATEGORY_LENGTH:
            raise SiteCategoryRequired()
        use_qr_token(session, scan)
        visit = SiteVisit(
            volunteer_id=card.volunteer_id,
            card_id=card.id,
            organisation_id=organisation.id,
            work_date=_local(now).date(),
            category=category,
            checked_in_at=now,
            state=SiteVisitState.OPEN,
            checked_in_by_user_id=actor.user_id,
            checked_in_by_device_id=device_id,
        )
        session.add(visit)
        session.flush()
        record_audit(session, actor, "site_visit.check_in", target_type="site_visit", target_id=visit.id,
                     after=_visit_state(visit))
        return SiteScan(action=ScanAction.CHECK_IN, visit=visit)

    start, end = _minute_of_day(visit.checked_in_at), _minute_of_day(now)
    if end <= start:
        raise SiteVisitTooShort()
    use_qr_token(session, scan)
    visit.checked_out_at = now
    result = _submit_visit(session, visit, start, end, actor=actor, policy=policy, now=now)
    record_audit(session, actor, "site_visit.check_out", target_type="site_visit", target_id=visit.id,
                 after=_visit_state(visit))
    return result


def _submit_visit(
    session: Session, visit: SiteVisit, start: int, end: int, *, actor: Actor, policy: ClaimPolicy, now: datetime
) -> SiteScan:
    """Turn a visit into a submitted claim, or flag it when a claim rule refuses it."""
    request = ClaimRequest(
        volunteer_id=visit.volunteer_id, organisation_id=visit.organisation_id, work_date=visit.work_date,
        start_minute=start, end_minute=end, category=visit.category, note="현장 출석 (site check-in)",
    )
    try:
        with session.begin_nested():
            claim = submit_claim(session, request, actor=actor, policy=policy, now=now)
    except RuleViolation as refusal:
        visit.state = SiteVisitState.FLAGGED
        visit.refusal_code = refusal.code
        session.flush()
        return SiteScan(action=ScanAction.CHECK_OUT_FLAGGED, visit=visit, refusal=refusal)
    visit.state = SiteVisitState.CLOSED
    visit.claim_id = claim.id
    visit.refusal_code = None
    session.flush()
    return SiteScan(action=ScanAction.CHECK_OUT, visit=visit, claim=claim)


def get_site_visit(session: Session, visit_id: int, *, organisation_scope: int | None) -> SiteVisit:
    """Return a visit of the caller's organisation (any, for staff).

    :raises SiteVisitNotFound:
    """
    visit = session.get(SiteVisit, visit_id)
    if visit is None or (organisation_scope is not None and visit.organisation_id != organisation_scope):
        raise SiteVisitNotFound(visit_id=visit_id)
    return visit


def correct_site_visit(
    session: Session,
    visit_id: int,
    *,
    start_minute: int,
    end_minute: int,
    actor: Actor,
    policy: ClaimPolicy,
    organisation_scope: int | None,
    now: datetime | None = None,
) -> SiteScan:
    """Give a visit its real times before staff review it: submit a flagged visit, or correct its claim.

    :raises SiteVisitNotFound:
    :raises SiteVisitStillOpen: the day is not over and the volunteer has not checked out.
    :raises SiteVisitNotCorrectable: the claim was already reviewed.
    :raises RuleViolation: the corrected times break a claim rule.
    """
    now = now or utc_now()
    flag_stale_visits(session, now=now, organisation_id=organisation_scope)
    visit = get_site_visit(session, visit_id, organisation_scope=organisation_scope)
    session.refresh(visit, with_for_update=True)
    before = _visit_state(visit)
    if visit.state == SiteVisitState.OPEN:
        raise SiteVisitStillOpen(visit_id=visit.id)
    if visit.state == SiteVisitState.FLAGGED:
        result = _submit_visit(session, visit, start_minute, end_minute, actor=actor, policy=policy, now=now)
        if result.refusal is not None:
            raise result.refusal
    else:
        claim = session.scalar(select(Claim).where(Claim.id == visit.claim_id).with_for_update())
        if claim is None or claim.state != ClaimState.SUBMITTED:
            raise SiteVisitNotCorrectable(visit_id=visit.id)
        _correct_claim_times(session, claim, start_minute, end_minute, policy=policy, now=now)
        result = SiteScan(action=ScanAction.CHECK_OUT, visit=visit, claim=claim)
    record_audit(session, actor, "site_visit.correct", target_type="site_visit", target_id=visit.id,
                 before=before, after=_visit_state(visit))
    return result


def _correct_claim_times(
    session: Session, claim: Claim, start_minute: int, end_minute: int, *, policy: ClaimPolicy, now: datetime
) -> None:
    """Move a submitted claim to new times, checked against every rule as if it were new."""
    # Set the claim aside while its new times are checked, so that it does not overlap itself.
    moved = update_rows(session, Claim, Claim.id == claim.id, Claim.state == ClaimState.SUBMITTED, state="correcting")
    if not moved:
        raise ClaimAlreadyReviewed(claim_id=claim.id)
    request = ClaimRequest(
        volunteer_id=claim.volunteer_id, organisation_id=claim.organisation_id, work_date=claim.work_date,
        start_minute=start_minute, end_minute=end_minute, category=claim.category, note=claim.note,
    )
    check_claim_policy(session, request, policy, now=now)
    update_rows(
        session, Claim, Claim.id == claim.id,
        state=ClaimState.SUBMITTED, start_minute=start_minute, end_minute=end_minute,
    )
    session.refresh(claim)


def list_site_visits(
    session: Session, organisation_id: int, *, day=None, now: datetime | None = None, limit: int = 200
) -> list[SiteVisit]:
    """Return an organisation's visits of a day (today by default) and every visit still flagged, newest first."""
    now = now or utc_now()
    flag_stale_visits(session, now=now, organisation_id=organisation_id)
    day = day or _local(now).date()
    return list(
        session.scalars(
            select(SiteVisit)
            .where(
                SiteVisit.organisation_id == organisation_id,
                (SiteVisit.work_date == day) | (SiteVisit.state == SiteVisitState.FLAGGED),
            )
            .order_by(SiteVisit.id.desc())
            .limit(limit)
        )
    )


def ensure_visit_scope(organisation_id: int | None, organisation_scope: int | None) -> int:
    """Return the organisation a kiosk acts for: the caller's own.

    :raises NotOwner:
    """
    if organisation_scope is None:
        if organisation_id is None:
            raise NotOwner()
        return organisation_id
    if organisation_id is not None and organisation_id != organisation_scope:
        raise NotOwner(organisation_id=organisation_id)
    return organisation_scope


def _visit_state(visit: SiteVisit) -> dict:
    return {
        "state": visit.state,
        "volunteer_id": visit.volunteer_id,
        "organisation_id": visit.organisation_id,
        "work_date": visit.work_date.isoformat(),
        "checked_in": format_clock_time(_minute_of_day(visit.checked_in_at)),
        "checked_out": format_clock_time(_minute_of_day(visit.checked_out_at)) if visit.checked_out_at else None,
        "claim_id": visit.claim_id,
        "refusal_code": visit.refusal_code,
    }
