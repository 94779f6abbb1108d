"""A volunteer's earning state in the database: its lock, their certified claims, and the replay of them.

Locking order (as every approval and reversal takes it, after the claim rows): the volunteer row,
then their earning row, then the card, then the ledger accounts. Two approvals of one volunteer's
claims therefore run one after the other, and the second sees the cap the first used.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from mileage.clock import utc_now
from mileage.errors import VolunteerNotFound
from mileage.models import Claim, ClaimState, Volunteer, VolunteerEarning
from mileage.programme.earnings import CertifiedClaim


def lock_volunteer_earnings(session: Session, volunteer_ids: Iterable[int]) -> dict[int, VolunteerEarning]:
    """Lock volunteers (in id order) and return their earning rows, creating the missing ones.

    :raises VolunteerNotFound:
    """
    ids = sorted(set(volunteer_ids))
    # FOR NO KEY UPDATE: approvals of one volunteer queue behind each other, while a card being issued
    # or reissued meanwhile (its foreign key takes a key-share lock on the volunteer) does not wait.
    found = set(session.scalars(select(Volunteer.id).where(Volunteer.id.in_(ids)).order_by(Volunteer.id)
                                .with_for_update(key_share=True)))
    for volunteer_id in ids:
        if volunteer_id not in found:
            raise VolunteerNotFound(volunteer_id=volunteer_id)
    earnings = {
        row.volunteer_id: row
        for row in session.scalars(
            select(VolunteerEarning).where(VolunteerEarning.volunteer_id.in_(ids))
            .order_by(VolunteerEarning.volunteer_id).with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    missing = [volunteer_id for volunteer_id in ids if volunteer_id not in earnings]
    if missing:
        # One statement for a bulk approval's first-time volunteers; the volunteer locks keep it race-free.
        now = utc_now()
        session.execute(insert(VolunteerEarning), [
            {"volunteer_id": volunteer_id, "credited_points": 0, "certified_minutes": 0, "carried_point_minutes": 0,
             "updated_at": now} for volunteer_id in missing
        ])
        earnings.update({row.volunteer_id: row for row in session.scalars(
            select(VolunteerEarning).where(VolunteerEarning.volunteer_id.in_(missing)))})
    return earnings


def certified_claim(claim: Claim) -> CertifiedClaim:
    """Return the facts of a claim that its points depend on."""
    return CertifiedClaim(claim_id=claim.id, work_date=claim.work_date, start_minute=claim.start_minute,
                          minutes=claim.end_minute - claim.start_minute, category=claim.category)


def certified_claims(session: Session, volunteer_ids: Iterable[int]) -> dict[int, list[CertifiedClaim]]:
    """Return each volunteer's approved claims (reversed ones no longer count)."""
    ids = list(set(volunteer_ids))
    found: dict[int, list[CertifiedClaim]] = defaultdict(list)
    if not ids:
        return found
    rows = session.execute(
        select(Claim.volunteer_id, Claim.id, Claim.work_date, Claim.start_minute, Claim.end_minute, Claim.category)
        .where(Claim.volunteer_id.in_(ids), Claim.state == str(ClaimState.APPROVED))
    )
    for volunteer_id, claim_id, work_date, start, end, category in rows:
        found[volunteer_id].append(CertifiedClaim(claim_id, work_date, start, end - start, category))
    return found


def record_replay(earning: VolunteerEarning, *, credited_points: int, certified_minutes: int,
                  carried_point_minutes: int) -> None:
    """Keep what the volunteer's claims have credited after this change."""
    earning.credited_points = credited_points
    earning.certified_minutes = certified_minutes
    earning.carried_point_minutes = carried_point_minutes
    earning.updated_at = utc_now()
