"""The rules a claim of hours must meet: times within a day, no future, the claim window, no overlaps,
the daily maximum; and the points its minutes earn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mileage.clock import SEOUL, utc_now
from mileage.errors import (
    ClaimExceedsDailyLimit,
    ClaimInFuture,
    ClaimInvalidTimes,
    ClaimOutsideWindow,
    ClaimOverlaps,
)
from mileage.models import (
    Claim,
    ClaimState,
)

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

    @classmethod
    def from_mapping(cls, values: dict) -> ClaimPolicy:
        """Build a policy from configuration, keeping defaults for what is absent."""
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**known)

    def points_for(self, minutes: int) -> int:
        """Return the points earned by some minutes, rounded down."""
        return minutes * self.points_per_hour // 60


DEFAULT_POLICY = ClaimPolicy()


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
    session: Session, request: ClaimRequest, policy: ClaimPolicy, *, now: datetime | None = None
) -> None:
    """Refuse a claim that breaks a rule of the policy, naming the rule.

    :raises ClaimInvalidTimes:
    :raises ClaimInFuture:
    :raises ClaimOutsideWindow:
    :raises ClaimOverlaps:
    :raises ClaimExceedsDailyLimit:
    """
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
