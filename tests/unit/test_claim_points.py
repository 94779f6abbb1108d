"""How approved minutes become points, and how the policy is configured."""

import pytest

from mileage.claims.rules import DEFAULT_POLICY, ClaimPolicy


@pytest.mark.parametrize(
    "minutes, points",
    [(60, 1_000), (1, 16), (59, 983), (90, 1_500), (150, 2_500), (7, 116), (480, 8_000)],
)
def test_points_are_minutes_times_rate_over_sixty_rounded_down(minutes, points):
    assert DEFAULT_POLICY.points_for(minutes) == points
    assert isinstance(DEFAULT_POLICY.points_for(minutes), int)


def test_a_different_rate_changes_the_points():
    assert ClaimPolicy(points_per_hour=1_500).points_for(50) == 1_250


def test_the_default_policy_is_the_programme_rule():
    assert DEFAULT_POLICY.max_minutes_per_day == 8 * 60
    assert DEFAULT_POLICY.claim_window_days == 90
    assert not DEFAULT_POLICY.allow_future
    assert not DEFAULT_POLICY.allow_overlaps


def test_configuration_overrides_only_what_it_names_and_ignores_unknown_keys():
    policy = ClaimPolicy.from_mapping({"points_per_hour": 1_200, "claim_window_days": 30, "colour": "blue"})
    assert policy == ClaimPolicy(points_per_hour=1_200, claim_window_days=30)
