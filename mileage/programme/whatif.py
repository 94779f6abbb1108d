"""What-if: what a proposed rule set would have paid on the last 12 months of approved claims.

Reads only. For each volunteer with approved claims in the window, the replay of all their certified
claims is run twice: with the rules that really applied, and with the proposed rules on every day of
the window (earlier days keep their real rules, since those hours are history). What the window
would have paid is the replay total minus the total before the window; it stands next to what the
window's approvals actually posted. With the proposed rules equal to the real ones (and approvals
in date order), the two are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.clock import seoul_today
from mileage.models import Claim, ClaimState, Volunteer
from mileage.programme.book import load_rule_book
from mileage.programme.earnings import replay
from mileage.programme.payout import certified_claims
from mileage.programme.rules import RuleSet, rule_set_from_definition


@dataclass(frozen=True)
class VolunteerWhatIf:
    volunteer_id: int
    name: str
    claims: int
    minutes: int
    actual_points: int
    what_if_points: int

    @property
    def difference(self) -> int:
        return self.what_if_points - self.actual_points


@dataclass
class WhatIf:
    window_from: date
    window_to: date
    volunteers: list[VolunteerWhatIf] = field(default_factory=list)

    @property
    def actual_points(self) -> int:
        return sum(row.actual_points for row in self.volunteers)

    @property
    def what_if_points(self) -> int:
        return sum(row.what_if_points for row in self.volunteers)

    @property
    def difference(self) -> int:
        return self.what_if_points - self.actual_points


def window_start(as_of: date) -> date:
    """Return the first day of the 12 months that end on `as_of`."""
    try:
        a_year_before = as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February
        a_year_before = as_of.replace(year=as_of.year - 1, day=28)
    return date.fromordinal(a_year_before.toordinal() + 1)


def what_if(session: Session, definition: dict, *, as_of: date | None = None) -> WhatIf:
    """Return what a proposed rule set would have paid, per volunteer and in total, next to what was paid.

    :raises InvalidRuleSet:
    """
    as_of = as_of or seoul_today()
    start = window_start(as_of)
    proposed = rule_set_from_definition(definition, name="what-if")
    real = load_rule_book(session)

    def proposed_on(day: date) -> RuleSet:
        return proposed if start <= day <= as_of else real.on(day)

    rows = session.execute(
        select(Claim.volunteer_id, Claim.id, Claim.points, Claim.end_minute - Claim.start_minute)
        .where(Claim.state == str(ClaimState.APPROVED), Claim.work_date >= start, Claim.work_date <= as_of)
    ).all()
    result = WhatIf(start, as_of)
    if not rows:
        return result
    by_volunteer: dict[int, list] = {}
    for volunteer_id, claim_id, points, minutes in rows:
        by_volunteer.setdefault(volunteer_id, []).append((claim_id, points or 0, minutes))
    names = dict(session.execute(select(Volunteer.id, Volunteer.name).where(Volunteer.id.in_(by_volunteer))).all())
    certified = certified_claims(session, by_volunteer)
    for volunteer_id in sorted(by_volunteer):
        claims = certified.get(volunteer_id, [])
        before = [claim for claim in claims if claim.work_date < start]
        would = _window_points(claims, before, proposed_on)
        result.volunteers.append(VolunteerWhatIf(
            volunteer_id=volunteer_id,
            name=names.get(volunteer_id, ""),
            claims=len(by_volunteer[volunteer_id]),
            minutes=sum(minutes for _, _, minutes in by_volunteer[volunteer_id]),
            actual_points=sum(points for _, points, _ in by_volunteer[volunteer_id]),
            what_if_points=would,
        ))
    return result


def _window_points(claims, before, rule_for) -> int:
    return replay(claims, rule_for).points - replay(before, rule_for).points

