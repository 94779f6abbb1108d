"""The replay: every certified minute of a volunteer, in date order, through the bands and caps.

What a volunteer has been credited for their hours is always `replay(certified claims).points`.
Approving or reversing a claim posts the difference the claim makes to that total, so:

- minutes carry over: the total is the floor of all point-minutes together, so 20 claims of 61 minutes
  at 100 points an hour pay what 1,220 minutes pay, and the remainder waits for the next claim;
- a claim is paid by the rule set in force on the day of the volunteering (`rule_for(work_date)`);
- a band edge or a cap splits a claim: each minute earns at the band of its cumulative position, and a
  cap (lifetime, or yearly by Seoul calendar year of the volunteering) takes what is over it;
- a rule set may let only volunteers certified enough hours the previous calendar year earn (Seodaemun:
  10 h): their hours still count (for tiers, bands and certificates) but earn nothing that year;
- reversing the latest claim takes back exactly what it gave, remainder included; reversing an
  earlier one takes back the difference it makes to the whole replay, so the total stays right.

Caps are applied on point-minutes, so a capped total is exactly the cap (250,000, not 249,999).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from mileage.programme.rules import RuleSet

LIFETIME_CAP = "lifetime_cap"
YEARLY_CAP = "yearly_cap"
# Not a cap: the volunteer lacked the previous calendar year's hours that earning in this one needs.
PREVIOUS_YEAR_HOURS = "previous_year_hours"


@dataclass(frozen=True)
class CertifiedClaim:
    """The facts of an approved claim that its points depend on."""

    claim_id: int
    work_date: date
    start_minute: int
    minutes: int
    category: str = ""

    @property
    def order(self) -> tuple:
        return (self.work_date, self.start_minute, self.claim_id)


@dataclass(frozen=True)
class ClaimEarning:
    """One claim's place in the replay: the minutes it was credited with, what it earned and what a cap withheld."""

    claim_id: int
    recognised_minutes: int
    points: int
    withheld_points: int
    withheld_by: str | None
    rule_set_version: int


@dataclass
class Replay:
    """The result of replaying a volunteer's certified claims."""

    point_minutes: int = 0
    certified_minutes: int = 0
    claims: dict[int, ClaimEarning] = field(default_factory=dict)
    yearly_point_minutes: dict[int, int] = field(default_factory=dict)
    yearly_certified_minutes: dict[int, int] = field(default_factory=dict)
    # The cap that withheld something last in date order, if any.
    last_cap: str | None = None

    @property
    def points(self) -> int:
        """Return the whole points credited; the remainder carries over."""
        return self.point_minutes // 60

    @property
    def carried_point_minutes(self) -> int:
        """Return the point-minutes that did not make a whole point yet."""
        return self.point_minutes % 60

    def withheld_points(self) -> int:
        return sum(earning.withheld_points for earning in self.claims.values())


def replay(claims: Iterable[CertifiedClaim], rule_for: Callable[[date], RuleSet], *, caps: bool = True) -> Replay:
    """Replay certified claims in date order through the rules of each claim's day (without caps if told)."""
    result = Replay()
    for claim in sorted(claims, key=lambda c: c.order):
        rules = rule_for(claim.work_date)
        minutes = rules.recognised_minutes(claim.category, claim.minutes)
        earned = rules.earned_by(result.certified_minutes, minutes)
        result.certified_minutes += minutes
        year = claim.work_date.year
        result.yearly_certified_minutes[year] = result.yearly_certified_minutes.get(year, 0) + minutes
        room = earned
        withheld_by = None
        if not caps:
            pass
        elif rules.min_hours_previous_year is not None and (
            result.yearly_certified_minutes.get(year - 1, 0) < rules.min_hours_previous_year * 60
        ):
            room, withheld_by = 0, PREVIOUS_YEAR_HOURS
        elif rules.lifetime_cap is not None and rules.lifetime_cap * 60 - result.point_minutes < room:
            room, withheld_by = rules.lifetime_cap * 60 - result.point_minutes, LIFETIME_CAP
        yearly_so_far = result.yearly_point_minutes.get(year, 0)
        if caps and rules.yearly_cap is not None and rules.yearly_cap * 60 - yearly_so_far < room:
            room, withheld_by = rules.yearly_cap * 60 - yearly_so_far, YEARLY_CAP
        allowed = max(0, room)
        before = result.point_minutes
        result.point_minutes += allowed
        result.yearly_point_minutes[year] = yearly_so_far + allowed
        points = result.point_minutes // 60 - before // 60
        uncapped = (before + earned) // 60 - before // 60
        if uncapped > points:
            result.last_cap = withheld_by
        result.claims[claim.claim_id] = ClaimEarning(
            claim_id=claim.claim_id,
            recognised_minutes=minutes,
            points=points,
            withheld_points=uncapped - points,
            withheld_by=withheld_by if uncapped > points else None,
            rule_set_version=rules.version,
        )
    return result
