"""Where a volunteer stands: their tier from certified hours, what keeps it, and how far the next one is.

The rule (Nowon's 2015 revision): a tier is reached at its lifetime threshold of certified hours, and
kept only with its yearly hours (certified in the 365 days up to the day); a volunteer who misses the
condition goes one tier down. Reversed claims do not count. The tier is a pure function of the
certified claims and the day, so re-evaluating it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mileage.clock import seoul_today
from mileage.models import Claim, ClaimState, VolunteerTier
from mileage.programme.book import rule_set_on
from mileage.programme.rules import Tier

# The window of the keep condition: the year up to and including the day.
KEEP_WINDOW_DAYS = 365

CERTIFIED_MINUTES = func.coalesce(Claim.recognised_minutes, Claim.end_minute - Claim.start_minute)


@dataclass(frozen=True)
class TierStanding:
    """A volunteer's tier on a day and why."""

    tier: str | None
    rank: int
    reached: str | None
    lifetime_minutes: int
    last_year_minutes: int
    keep_hours: int
    keeps: bool
    next_tier: str | None
    minutes_to_next: int | None

    @property
    def hours_to_next(self) -> int | None:
        """Return the whole hours still needed for the next tier (rounded up)."""
        return None if self.minutes_to_next is None else -(-self.minutes_to_next // 60)


def standing_from(tiers: tuple[Tier, ...], lifetime_minutes: int, last_year_minutes: int) -> TierStanding:
    """Return the standing that certified minutes give under a rule set's tiers."""
    if not tiers:
        return TierStanding(None, 0, None, lifetime_minutes, last_year_minutes, 0, True, None, None)
    reached = 0
    for index, tier in enumerate(tiers):
        if lifetime_minutes >= tier.from_hours * 60:
            reached = index
    keep_hours = tiers[reached].keep_hours
    keeps = last_year_minutes >= keep_hours * 60
    rank = reached if keeps else max(0, reached - 1)
    following = tiers[reached + 1] if reached + 1 < len(tiers) else None
    return TierStanding(
        tier=tiers[rank].name,
        rank=rank,
        reached=tiers[reached].name,
        lifetime_minutes=lifetime_minutes,
        last_year_minutes=last_year_minutes,
        keep_hours=keep_hours,
        keeps=keeps,
        next_tier=following.name if following else None,
        minutes_to_next=(following.from_hours * 60 - lifetime_minutes) if following else None,
    )


def certified_minutes_by_volunteer(
    session: Session, as_of: date, volunteer_ids: list[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Return (lifetime, last year) certified minutes up to a day, per volunteer with approved claims."""
    year_start = as_of - timedelta(days=KEEP_WINDOW_DAYS - 1)
    query = (
        select(
            Claim.volunteer_id,
            func.coalesce(func.sum(CERTIFIED_MINUTES), 0),
            func.coalesce(func.sum(case((Claim.work_date >= year_start, CERTIFIED_MINUTES), else_=0)), 0),
        )
        .where(Claim.state == str(ClaimState.APPROVED), Claim.work_date <= as_of)
        .group_by(Claim.volunteer_id)
    )
    if volunteer_ids is not None:
        query = query.where(Claim.volunteer_id.in_(volunteer_ids))
    return {volunteer_id: (int(total), int(year)) for volunteer_id, total, year in session.execute(query)}


def tier_standing(session: Session, volunteer_id: int, *, as_of: date | None = None) -> TierStanding:
    """Return a volunteer's standing under the tiers of the rule set in force on the day."""
    as_of = as_of or seoul_today()
    lifetime, last_year = certified_minutes_by_volunteer(session, as_of, [volunteer_id]).get(volunteer_id, (0, 0))
    return standing_from(rule_set_on(session, as_of).tiers, lifetime, last_year)


def recorded_tier(session: Session, volunteer_id: int) -> VolunteerTier | None:
    """Return the tier last recorded for a volunteer (what the counter and the console show)."""
    return session.get(VolunteerTier, volunteer_id)
