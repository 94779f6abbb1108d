"""The rules a claim of hours must meet: times within a day, no future, the claim window, no overlaps,
the daily maximum, the minimum age; and the points its minutes earn.

The values come from the rule set in force on the day of the volunteering (`mileage.programme.book`).
A `ClaimPolicy` passed explicitly overrides it with one flat rule for every day: the tests and a
deployment that pins its rules in configuration (`CLAIM_POLICY`) use that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mileage.clock import SEOUL, utc_now
from mileage.errors import (
    ClaimBelowMinimumAge,
    ClaimExceedsDailyLimit,
    ClaimInFuture,
    ClaimInvalidTimes,
    ClaimOutsideWindow,
    ClaimOverlaps,
)
from mileage.models import (
    Claim,
    ClaimState,
    Volunteer,
)
from mileage.programme.book import RuleBook, load_rule_book, rule_set_on
from mileage.programme.rules import Band, RuleSet

MINUTES_PER_DAY = 24 * 60


# Claims that still count toward the daily limit and the overlap rule.
LIVE_STATES = (ClaimState.SUBMITTED, ClaimState.APPROVED)


@dataclass(frozen=True)
class ClaimPolicy:
    """The centre's rules for recognising hours; every value can be configured."""

    points_per_hour: int = 1000
    max_minutes_per_day: int = 8 * 60
    allow_overlaps: bool = False
    allow_future: bool = False
    claim_window_days: int = 90
    volunteers_may_self_submit: bool = True
    minimum_age: int | None = None

    @classmethod
    def from_mapping(cls, values: dict) -> ClaimPolicy:
        """Build a policy from configuration, keeping defaults for what is absent."""
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**known)

    def points_for(self, minutes: int) -> int:
        """Return the points earned by some minutes, rounded down."""
        return minutes * self.points_per_hour // 60

    def as_rule_set(self) -> RuleSet:
        """Return the one flat rule set this policy stands for."""
        return RuleSet(
            bands=(Band(0, self.points_per_hour),),
            max_minutes_per_day=self.max_minutes_per_day,
            claim_window_days=self.claim_window_days,
            volunteers_may_self_submit=self.volunteers_may_self_submit,
            minimum_age=self.minimum_age,
        )

    @classmethod
    def of_rule_set(cls, rules: RuleSet) -> ClaimPolicy:
        """Return the claim checks of a rule set (overlaps and future dates stay refused)."""
        return cls(
            points_per_hour=rules.bands[0].points_per_hour,
            max_minutes_per_day=rules.max_minutes_per_day,
            claim_window_days=rules.claim_window_days,
            volunteers_may_self_submit=rules.volunteers_may_self_submit,
            minimum_age=rules.minimum_age,
        )


DEFAULT_POLICY = ClaimPolicy()


def policy_on(session: Session, day: date, policy: ClaimPolicy | None = None) -> ClaimPolicy:
    """Return the claim checks for a day: the explicit policy if one is given, else the rule set in force."""
    if policy is not None:
        return policy
    return ClaimPolicy.of_rule_set(rule_set_on(session, day))


def rule_book_for(session: Session, policy: ClaimPolicy | None = None) -> RuleBook:
    """Return the rules that pay claims: the explicit policy's flat rule, else every version in the database."""
    if policy is not None:
        return RuleBook.of_one(policy.as_rule_set())
    return load_rule_book(session)


def age_on(birth_date: date, day: date) -> int:
    """Return a person's age in full years (만 나이) on a day."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


@dataclass(frozen=True)
class ClaimRequest:
    """What a coordinator, staff member or volunteer submits."""

    volunteer_id: int
    organisation_id: int
    work_date: date
    start_minute: int
    end_minute: int
    category: str
    note: str = ""


def check_claim_policy(
    session: Session, request: ClaimRequest, policy: ClaimPolicy | None = None, *, now: datetime | None = None
) -> None:
    """Refuse a claim that breaks a rule of the policy (the rule set of its day unless given), naming the rule.

    :raises ClaimInvalidTimes:
    :raises ClaimInFuture:
    :raises ClaimOutsideWindow:
    :raises ClaimOverlaps:
    :raises ClaimExceedsDailyLimit:
    :raises ClaimBelowMinimumAge: the volunteer's birth date is known and they are younger.
    """
    policy = policy_on(session, request.work_date, policy)
    if not (0 <= request.start_minute < request.end_minute <= MINUTES_PER_DAY):
        raise ClaimInvalidTimes(start_minute=request.start_minute, end_minute=request.end_minute)
    local_now = (now or utc_now()).astimezone(SEOUL)
    today = local_now.date()
    minute_now = local_now.hour * 60 + local_now.minute
    if not policy.allow_future and (
        request.work_date > today or (request.work_date == today and request.end_minute > minute_now)
    ):
        raise ClaimInFuture(work_date=request.work_date.isoformat())
    if request.work_date < today - timedelta(days=policy.claim_window_days):
        raise ClaimOutsideWindow(window_days=policy.claim_window_days)
    if policy.minimum_age is not None:
        volunteer = session.get(Volunteer, request.volunteer_id)
        if volunteer is not None and volunteer.birth_date is not None and (
            age_on(volunteer.birth_date, request.work_date) < policy.minimum_age
        ):
            raise ClaimBelowMinimumAge(minimum_age=policy.minimum_age)

    same_day = select(Claim).where(
        Claim.volunteer_id == request.volunteer_id,
        Claim.work_date == request.work_date,
        Claim.state.in_([str(state) for state in LIVE_STATES]),
    )
    if not policy.allow_overlaps:
        overlapping = session.scalar(
            same_day.where(
                Claim.start_minute < request.end_minute, Claim.end_minute > request.start_minute
            ).limit(1)
        )
        if overlapping is not None:
            raise ClaimOverlaps(claim_id=overlapping.id)
    already = session.scalar(
        select(func.coalesce(func.sum(Claim.end_minute - Claim.start_minute), 0)).where(
            Claim.volunteer_id == request.volunteer_id,
            Claim.work_date == request.work_date,
            Claim.state.in_([str(state) for state in LIVE_STATES]),
        )
    )
    if already + (request.end_minute - request.start_minute) > policy.max_minutes_per_day:
        raise ClaimExceedsDailyLimit(
            max_hours=policy.max_minutes_per_day // 60, already_minutes=int(already)
        )
