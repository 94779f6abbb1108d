"""Every rule of the claim policy, checked against a fixed 'now' on the Asia/Seoul calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review, submission
from mileage.claims.rules import DEFAULT_POLICY, ClaimPolicy, ClaimRequest, check_claim_policy
from mileage.errors import (
    ClaimExceedsDailyLimit,
    ClaimInFuture,
    ClaimInvalidTimes,
    ClaimOutsideWindow,
    ClaimOverlaps,
)
from mileage.models import Claim

# 12:00 on 10 March 2026 in Seoul (UTC+9).
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
YESTERDAY = TODAY - timedelta(days=1)


def hm(hours: int, minutes: int = 0) -> int:
    """Return minutes since midnight for a wall-clock time."""
    return hours * 60 + minutes


@pytest.fixture
def volunteer(make):
    return make.card().volunteer


@pytest.fixture
def organisation(make):
    return make.organisation()


@pytest.fixture
def request_for(volunteer, organisation):
    """Build a claim request for the test's volunteer: `request_for(day, start, end)`."""

    def build(work_date, start_minute, end_minute, *, volunteer_id=None):
        return ClaimRequest(
            volunteer_id=volunteer_id or volunteer.id,
            organisation_id=organisation.id,
            work_date=work_date,
            start_minute=start_minute,
            end_minute=end_minute,
            category="복지",
        )

    return build


@pytest.fixture
def check(session):
    """Check a request against a policy at a moment (NOW by default)."""

    def run(request, policy=DEFAULT_POLICY, now=NOW):
        check_claim_policy(session, request, policy, now=now)

    return run


@pytest.fixture
def submit(session):
    """Record a claim as if submitted at NOW."""

    def run(request, policy=DEFAULT_POLICY):
        return submission.submit_claim(session, request, actor=SYSTEM_ACTOR, policy=policy, now=NOW)

    return run


# --- times ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "start, end",
    [(hm(10), hm(10)), (hm(11), hm(10)), (-1, hm(1)), (hm(23), 1441), (hm(25), hm(26))],
    ids=["empty", "ends before it starts", "before midnight", "past midnight", "not a time of day"],
)
def test_times_must_run_forward_within_one_day(check, request_for, start, end):
    with pytest.raises(ClaimInvalidTimes):
        check(request_for(YESTERDAY, start, end))


def test_a_whole_day_from_midnight_to_midnight_is_a_valid_time_range(check, request_for):
    check(request_for(YESTERDAY, 0, 1440), ClaimPolicy(max_minutes_per_day=1440))


# --- the future -----------------------------------------------------------------------------

def test_a_claim_for_tomorrow_is_refused(check, request_for):
    with pytest.raises(ClaimInFuture):
        check(request_for(TODAY + timedelta(days=1), hm(9), hm(10)))


def test_a_claim_for_today_may_end_at_the_current_minute_but_not_later(check, request_for):
    check(request_for(TODAY, hm(9), hm(12)))
    with pytest.raises(ClaimInFuture):
        check(request_for(TODAY, hm(9), hm(12, 1)))


def test_a_policy_may_allow_future_claims(check, request_for):
    check(request_for(TODAY + timedelta(days=3), hm(9), hm(10)), ClaimPolicy(allow_future=True))


# --- the Seoul calendar ---------------------------------------------------------------------

# 15:30 UTC on 1 March is already 00:30 on 2 March in Seoul.
SEOUL_JUST_AFTER_MIDNIGHT = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)


def test_the_day_changes_at_midnight_in_seoul_not_in_utc(check, request_for):
    check(request_for(date(2026, 3, 2), 0, 30), now=SEOUL_JUST_AFTER_MIDNIGHT)
    with pytest.raises(ClaimInFuture):
        check(request_for(date(2026, 3, 2), 0, 31), now=SEOUL_JUST_AFTER_MIDNIGHT)
    with pytest.raises(ClaimInFuture):
        check(request_for(date(2026, 3, 2), 0, 30), now=SEOUL_JUST_AFTER_MIDNIGHT - timedelta(minutes=31))


def test_the_claim_window_counts_back_from_the_seoul_date(check, request_for):
    # Today is 2 March in Seoul: 90 days back is 2 December, although it is still 1 March in UTC.
    check(request_for(date(2025, 12, 2), hm(9), hm(10)), now=SEOUL_JUST_AFTER_MIDNIGHT)
    with pytest.raises(ClaimOutsideWindow):
        check(request_for(date(2025, 12, 1), hm(9), hm(10)), now=SEOUL_JUST_AFTER_MIDNIGHT)


# --- the claim window -----------------------------------------------------------------------

def test_a_claim_exactly_ninety_days_old_is_accepted_and_one_day_older_is_refused(check, request_for):
    check(request_for(TODAY - timedelta(days=90), hm(9), hm(10)))
    with pytest.raises(ClaimOutsideWindow) as refused:
        check(request_for(TODAY - timedelta(days=91), hm(9), hm(10)))
    assert refused.value.message("en") == "Hours older than 90 days cannot be claimed."


def test_the_claim_window_is_configurable(check, request_for):
    policy = ClaimPolicy(claim_window_days=30)
    check(request_for(TODAY - timedelta(days=30), hm(9), hm(10)), policy)
    with pytest.raises(ClaimOutsideWindow):
        check(request_for(TODAY - timedelta(days=31), hm(9), hm(10)), policy)


# --- the daily limit ------------------------------------------------------------------------

def test_claims_may_add_up_to_exactly_eight_hours_a_day(check, submit, request_for):
    submit(request_for(YESTERDAY, hm(8), hm(14)))

    check(request_for(YESTERDAY, hm(15), hm(17)))
    with pytest.raises(ClaimExceedsDailyLimit) as refused:
        check(request_for(YESTERDAY, hm(15), hm(17, 1)))
    assert refused.value.params == {"max_hours": 8, "already_minutes": 360}


def test_a_single_claim_longer_than_the_daily_limit_is_refused(check, request_for):
    check(request_for(YESTERDAY, hm(9), hm(17)))
    with pytest.raises(ClaimExceedsDailyLimit):
        check(request_for(YESTERDAY, hm(9), hm(17, 1)))


def test_the_daily_limit_is_per_volunteer_and_per_day(check, submit, request_for, make):
    submit(request_for(YESTERDAY, hm(8), hm(16)))

    check(request_for(YESTERDAY - timedelta(days=1), hm(8), hm(16)))
    check(request_for(YESTERDAY, hm(8), hm(16), volunteer_id=make.volunteer().id))


def test_the_daily_limit_is_configurable(check, submit, request_for):
    policy = ClaimPolicy(max_minutes_per_day=4 * 60)
    submit(request_for(YESTERDAY, hm(8), hm(10)), policy)
    check(request_for(YESTERDAY, hm(10), hm(12)), policy)
    with pytest.raises(ClaimExceedsDailyLimit):
        check(request_for(YESTERDAY, hm(10), hm(12, 1)), policy)


# --- overlaps -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "start, end",
    [(hm(10), hm(12)), (hm(8), hm(9, 30)), (hm(9, 30), hm(10, 30)), (hm(8), hm(12)), (hm(9), hm(11))],
    ids=["runs past its end", "runs into its start", "inside it", "around it", "the same hours"],
)
def test_a_claim_overlapping_another_of_the_same_volunteer_is_refused(check, submit, request_for, start, end):
    existing = submit(request_for(YESTERDAY, hm(9), hm(11)))

    with pytest.raises(ClaimOverlaps) as refused:
        check(request_for(YESTERDAY, start, end))

    assert refused.value.params == {"claim_id": existing.id}


@pytest.mark.parametrize(
    "start, end", [(hm(11), hm(12)), (hm(8), hm(9))], ids=["starts as it ends", "ends as it starts"]
)
def test_claims_that_only_touch_do_not_overlap(check, submit, request_for, start, end):
    submit(request_for(YESTERDAY, hm(9), hm(11)))

    check(request_for(YESTERDAY, start, end))


def test_another_volunteer_may_work_the_same_hours(check, submit, request_for, make):
    submit(request_for(YESTERDAY, hm(9), hm(11)))

    check(request_for(YESTERDAY, hm(9), hm(11), volunteer_id=make.volunteer().id))


def test_a_policy_may_allow_overlaps_but_still_limits_the_day(check, submit, request_for):
    policy = ClaimPolicy(allow_overlaps=True)
    submit(request_for(YESTERDAY, hm(9), hm(15)), policy)

    check(request_for(YESTERDAY, hm(9), hm(11)), policy)
    with pytest.raises(ClaimExceedsDailyLimit):
        check(request_for(YESTERDAY, hm(9), hm(11, 1)), policy)


# --- which claims count ---------------------------------------------------------------------

def test_a_rejected_claim_neither_overlaps_nor_counts_toward_the_day(session, check, submit, request_for):
    rejected = submit(request_for(YESTERDAY, hm(9), hm(17)))
    review.reject_claim(session, rejected.id, actor=SYSTEM_ACTOR, reason="기관 확인 불가")

    check(request_for(YESTERDAY, hm(9), hm(17)))


def test_an_approved_claim_still_overlaps_and_counts(session, check, submit, request_for):
    approved = submit(request_for(YESTERDAY, hm(9), hm(15)))
    review.approve_claim(session, approved.id, actor=SYSTEM_ACTOR)

    with pytest.raises(ClaimOverlaps):
        check(request_for(YESTERDAY, hm(14), hm(15)))
    with pytest.raises(ClaimExceedsDailyLimit):
        check(request_for(YESTERDAY, hm(15), hm(17, 1)))


def test_submitting_a_claim_that_breaks_a_rule_records_nothing(session, submit, request_for, volunteer):
    submit(request_for(YESTERDAY, hm(9), hm(11)))

    with pytest.raises(ClaimOverlaps):
        submit(request_for(YESTERDAY, hm(10), hm(12)))

    recorded = session.scalars(select(Claim).where(Claim.volunteer_id == volunteer.id))
    assert [(claim.start_minute, claim.end_minute) for claim in recorded] == [(hm(9), hm(11))]
