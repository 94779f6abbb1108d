"""`mileage demo --preset`, `mileage rules ...` and `mileage tiers review` as an operator runs them."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from mileage.clock import seoul_today
from mileage.db import make_session_factory
from mileage.models import Claim, ClaimState, RuleSetVersion, TierBenefit, TierChange, VolunteerTier
from mileage.tiers.review import review_tiers
from tests.test_cli import empty_database, engine_on, mileage  # noqa: F401  (fixtures)


def test_the_demo_runs_under_the_nowon_preset_with_its_points_and_tiers(mileage, empty_database, engine_on):  # noqa: F811
    loaded = mileage(empty_database, "demo", "--preset", "nowon-2011")
    assert loaded.exit_code == 0, loaded.output
    engine = engine_on(empty_database)
    with make_session_factory(engine)() as session:
        preset = session.scalar(select(RuleSetVersion).where(RuleSetVersion.preset == "nowon-2011"))
        assert preset is not None and preset.definition["lifetime_cap"] == 250_000
        # The first 50 hours of every volunteer paid nothing, the rest 100 an hour.
        paid = session.execute(
            select(Claim.volunteer_id, func.sum(Claim.points), func.sum(Claim.end_minute - Claim.start_minute))
            .where(Claim.state == str(ClaimState.APPROVED)).group_by(Claim.volunteer_id)
        ).all()
        for _volunteer, points, minutes in paid:
            assert points == max(0, minutes - 50 * 60) * 100 // 60
        tiers = dict(session.execute(select(VolunteerTier.volunteer_id, VolunteerTier.tier)).all())
        assert set(tiers.values()) >= {"골드", "그린", "일반"}
        assert session.scalar(select(func.count()).select_from(TierBenefit)) == 3
    assert mileage(empty_database, "check").exit_code == 0


def test_rules_list_and_load_preset(mileage, empty_database):  # noqa: F811
    assert mileage(empty_database, "db", "upgrade").exit_code == 0
    tomorrow = (seoul_today() + timedelta(days=1)).isoformat()
    loaded = mileage(empty_database, "rules", "load-preset", "seodaemun-2024", "--effective-from", tomorrow)
    assert loaded.exit_code == 0, loaded.output
    assert "v2" in loaded.output
    listed = mileage(empty_database, "rules", "list")
    # The command speaks Korean unless MILEAGE_LANGUAGE says otherwise.
    assert "* v1" in listed.output and "v2 " + tomorrow + "부터" in listed.output
    past = mileage(empty_database, "rules", "load-preset", "nw-2018", "--effective-from", "2020-01-01")
    assert past.exit_code != 0 and "오늘" in past.output
    unknown = mileage(empty_database, "rules", "load-preset", "nowhere")
    assert unknown.exit_code != 0 and "nowhere" in unknown.output


def test_the_tier_review_dry_run_lists_changes_and_a_second_run_finds_none(mileage, empty_database, engine_on):  # noqa: F811
    assert mileage(empty_database, "demo", "--preset", "nowon-2011").exit_code == 0
    # A year and a half later, nobody kept the yearly hours of 그린 or 골드.
    later = (seoul_today() + timedelta(days=540)).isoformat()
    engine = engine_on(empty_database)
    with make_session_factory(engine)() as session:
        before = dict(session.execute(select(VolunteerTier.volunteer_id, VolunteerTier.tier)).all())
        history = session.scalar(select(func.count()).select_from(TierChange))
    dry = mileage(empty_database, "tiers", "review", "--as-of", later, "--dry-run")
    assert dry.exit_code == 0, dry.output
    changes = json.loads(dry.output)["changes"]
    assert changes and all(change["reason"] == "keep_condition_missed" for change in changes)
    with make_session_factory(engine)() as session:
        assert dict(session.execute(select(VolunteerTier.volunteer_id, VolunteerTier.tier)).all()) == before
    real = mileage(empty_database, "tiers", "review", "--as-of", later)
    assert json.loads(real.output)["changes"] == changes
    with make_session_factory(engine)() as session:
        after = dict(session.execute(select(VolunteerTier.volunteer_id, VolunteerTier.tier)).all())
        assert session.scalar(select(func.count()).select_from(TierChange)) == history + len(changes)
        gold = next(volunteer for volunteer, tier in before.items() if tier == "골드")
        assert after[gold] == "그린"  # one tier down, not to the bottom
        assert review_tiers(session, as_of=seoul_today() + timedelta(days=540), actor=None, dry_run=True) == []
    again = mileage(empty_database, "tiers", "review", "--as-of", later)
    assert json.loads(again.output)["changes"] == []
