"""Re-evaluating tiers: after an approval or reversal, and the yearly review (`mileage tiers review`).

Each change is kept in `tier_changes` with its reason; the review is idempotent (a second run on the
same day finds nothing to change) and can list what it would change without writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import seoul_today, utc_now
from mileage.models import TierChange, VolunteerTier
from mileage.programme.book import rule_set_on
from mileage.tiers.standing import TierStanding, certified_minutes_by_volunteer, standing_from

REASON_APPROVED = "hours_approved"
REASON_REVERSED = "hours_reversed"
REASON_REVIEW = "yearly_review"
REASON_KEEP_MISSED = "keep_condition_missed"
# The day of the year the review falls on, (month, day) in Seoul: the programmes review at New Year.
DEFAULT_REVIEW_DAY = (1, 1)


def latest_review_day(today: date, review_day: tuple[int, int] = DEFAULT_REVIEW_DAY) -> date:
    """Return the most recent review day on or before `today` (this year's, or last year's if not reached)."""
    month, day = review_day
    this_year = date(today.year, month, day)
    return this_year if this_year <= today else date(today.year - 1, month, day)


@dataclass(frozen=True)
class TierMove:
    """One volunteer's tier before and after, and why."""

    volunteer_id: int
    from_tier: str | None
    to_tier: str
    reason: str
    standing: TierStanding


def _reason_for(standing: TierStanding, default: str) -> str:
    return REASON_KEEP_MISSED if not standing.keeps else default


def _apply(session: Session, move: TierMove, as_of: date) -> None:
    row = session.get(VolunteerTier, move.volunteer_id)
    if row is None:
        session.add(VolunteerTier(volunteer_id=move.volunteer_id, tier=move.to_tier, rank=move.standing.rank,
                                  since=as_of))
    else:
        row.tier, row.rank, row.since, row.updated_at = move.to_tier, move.standing.rank, as_of, utc_now()
    session.add(TierChange(
        volunteer_id=move.volunteer_id, from_tier=move.from_tier, to_tier=move.to_tier, reason=move.reason,
        effective_on=as_of,
        detail={"lifetime_minutes": move.standing.lifetime_minutes,
                "last_year_minutes": move.standing.last_year_minutes, "keep_hours": move.standing.keep_hours,
                "reached": move.standing.reached},
    ))


def reevaluate_tier(session: Session, volunteer_id: int, *, reason: str, as_of: date | None = None) -> TierMove | None:
    """Recompute one volunteer's tier from their certified hours; record a change with its reason."""
    moves = reevaluate_tiers(session, [volunteer_id], reason=reason, as_of=as_of)
    return moves[0] if moves else None


def reevaluate_tiers(
    session: Session, volunteer_ids: list[int], *, reason: str, as_of: date | None = None
) -> list[TierMove]:
    """Recompute some volunteers' tiers (a bulk approval's) in a few statements; record the changes."""
    as_of = as_of or seoul_today()
    tiers = rule_set_on(session, as_of).tiers
    if not tiers or not volunteer_ids:
        return []
    minutes = certified_minutes_by_volunteer(session, as_of, list(volunteer_ids))
    recorded = {row.volunteer_id: row.tier for row in session.scalars(
        select(VolunteerTier).where(VolunteerTier.volunteer_id.in_(list(volunteer_ids))))}
    moves = []
    for volunteer_id in sorted(set(volunteer_ids)):
        standing = standing_from(tiers, *minutes.get(volunteer_id, (0, 0)))
        if recorded.get(volunteer_id) != standing.tier:
            move = TierMove(volunteer_id, recorded.get(volunteer_id), standing.tier,
                            _reason_for(standing, reason), standing)
            _apply(session, move, as_of)
            moves.append(move)
    if moves:
        session.flush()
    return moves


def review_tiers(session: Session, *, as_of: date, actor: Actor, dry_run: bool = False) -> list[TierMove]:
    """Re-evaluate every volunteer's tier on a day (the yearly review); return the changes, in volunteer order.

    With `dry_run`, nothing is written: the list says what a real run would change.
    """
    tiers = rule_set_on(session, as_of).tiers
    if not tiers:
        return []
    minutes = certified_minutes_by_volunteer(session, as_of)
    recorded = {row.volunteer_id: row.tier for row in session.scalars(select(VolunteerTier))}
    moves = []
    for volunteer_id in sorted(set(minutes) | set(recorded)):
        standing = standing_from(tiers, *minutes.get(volunteer_id, (0, 0)))
        if recorded.get(volunteer_id) != standing.tier:
            moves.append(TierMove(volunteer_id, recorded.get(volunteer_id), standing.tier,
                                  _reason_for(standing, REASON_REVIEW), standing))
    if dry_run:
        return moves
    for move in moves:
        _apply(session, move, as_of)
    session.flush()
    record_audit(session, actor, "tiers.review", target_type="tiers", target_id=None,
                 after={"as_of": as_of.isoformat(), "changes": len(moves)})
    return moves
