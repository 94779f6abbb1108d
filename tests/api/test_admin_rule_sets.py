"""The rule sets API: admins add versions, staff and auditors read; what-if posts nothing; tiers."""

from __future__ import annotations

from datetime import timedelta

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.clock import seoul_today as today
from mileage.models import AuditEvent, JournalEntry
from mileage.programme import book, presets

NOWON = presets.preset("nowon-2011")["definition"]


def test_an_admin_adds_a_version_from_tomorrow_and_everyone_sees_it(client, login_as, session):
    _, admin = login_as("admin")
    tomorrow = (today() + timedelta(days=1)).isoformat()
    created = client.post("/admin/rule-sets", json={"name": "노원 2011", "effective_from": tomorrow,
                                                   "definition": NOWON, "note": "2011 rules"}, headers=admin)
    assert created.status_code == 201, created.json
    assert created.json["version"] == 2 and created.json["definition"]["lifetime_cap"] == 250_000
    _, auditor = login_as("auditor")
    listed = client.get("/admin/rule-sets", headers=auditor)
    assert [item["version"] for item in listed.json["items"]] == [2, 1]
    assert listed.json["current_version"] == 1
    assert client.get("/admin/rule-sets/current", headers=auditor).json["version"] == 1
    assert client.get("/admin/rule-sets/2", headers=auditor).json["name"] == "노원 2011"
    event = session.query(AuditEvent).filter_by(action="rule_set.create").one()
    assert event.after["effective_from"] == tomorrow


def test_staff_may_not_change_the_rules_and_a_past_start_is_refused_in_korean(client, login_as):
    _, staff = login_as("staff")
    body = {"name": "x", "effective_from": today().isoformat(), "definition": NOWON}
    assert client.post("/admin/rule-sets", json=body, headers=staff).status_code == 403
    _, admin = login_as("admin")
    past = client.post("/admin/rule-sets", json={**body, "effective_from": (today() - timedelta(days=1)).isoformat()},
                       headers=admin)
    assert past.status_code == 422 and past.json["code"] == "rule_set_starts_in_past"
    assert "오늘" in past.json["message"]
    bad = client.post("/admin/rule-sets", json={**body, "definition": {"bands": [
        {"from_hours": 0, "points_per_hour": 500}, {"from_hours": 10, "points_per_hour": 100}]}}, headers=admin)
    assert bad.status_code == 422 and bad.json["code"] == "invalid_rule_set"
    too_many = client.post("/admin/rule-sets", json={**body, "definition": {**NOWON, "min_hours_previous_year": 9000}},
                           headers=admin)
    assert too_many.status_code == 422 and "min_hours_previous_year" in too_many.json["errors"]["definition"]
    assert client.get("/admin/rule-sets", headers=admin).json["items"][0]["version"] == 1  # nothing was saved


def test_a_version_may_not_start_on_a_day_already_paid(client, login_as, make, session):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, work_date=today(), start_minute=0, minutes=1)
    review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    _, admin = login_as("admin")
    refused = client.post("/admin/rule-sets", json={"name": "x", "effective_from": today().isoformat(),
                                                    "definition": NOWON}, headers=admin)
    assert refused.status_code == 409 and refused.json["code"] == "rule_set_rewrites_paid_claims"


def test_presets_are_listed_and_loaded(client, login_as):
    _, admin = login_as("admin")
    listed = client.get("/admin/rule-sets/presets", headers=admin).json["items"]
    assert {item["key"] for item in listed} == {"nowon-2011", "nw-2018", "seodaemun-2024"}
    loaded = client.post("/admin/rule-sets/presets/load", json={"preset": "nw-2018",
                                                                "effective_from": today().isoformat()}, headers=admin)
    assert loaded.status_code == 201 and loaded.json["preset"] == "nw-2018"
    assert loaded.json["definition"]["bands"] == [{"from_hours": 0, "points_per_hour": 700}]
    assert loaded.json["definition"]["min_hours_previous_year"] is None
    unknown = client.post("/admin/rule-sets/presets/load", json={"preset": "x", "effective_from": today().isoformat()},
                          headers=admin)
    assert unknown.status_code == 404


def test_the_what_if_compares_with_what_was_paid_and_posts_nothing(client, login_as, make, session):
    card = make.card()
    for days_ago in (3, 2):
        claim = make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=days_ago), minutes=120)
        review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    entries = session.query(JournalEntry).count()
    _, auditor = login_as("auditor")
    same = client.post("/admin/rule-sets/what-if", json={"definition": book.current_rule_set(session).definition()},
                       headers=auditor)
    assert same.status_code == 200, same.json
    assert same.json["actual_points"] == same.json["what_if_points"] == 4_000
    halved = client.post("/admin/rule-sets/what-if", json={"definition": {"bands": [
        {"from_hours": 0, "points_per_hour": 500}]}}, headers=auditor).json
    mine = next(row for row in halved["volunteers"] if row["volunteer_id"] == card.volunteer_id)
    assert (mine["actual_points"], mine["what_if_points"], mine["difference"]) == (4_000, 2_000, -2_000)
    assert session.query(JournalEntry).count() == entries
    assert ledger.get_balance(session, card.account_id) == 4_000


def test_the_tier_of_a_volunteer_with_what_keeps_it_and_the_history(client, login_as, make, session):
    book.create_rule_set(session, name="노원", effective_from=today() - timedelta(days=300), definition=NOWON,
                         actor=SYSTEM_ACTOR, allow_past=True)
    card = make.card()
    for days_ago in range(20, 28):
        claim = make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=days_ago), minutes=7 * 60)
        review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    _, staff = login_as("staff")
    tier = client.get(f"/admin/volunteers/{card.volunteer_id}/tier", headers=staff).json
    assert tier["recorded_tier"] == "그린"
    assert tier["standing"]["lifetime_minutes"] == 56 * 60 and tier["standing"]["keep_hours"] == 20
    assert tier["standing"]["next_tier"] == "골드" and tier["standing"]["hours_to_next"] == 201 - 56
    assert [change["to_tier"] for change in tier["history"]] == ["그린", "일반"]
    _, admin = login_as("admin")
    dry = client.post("/admin/tiers/review", json={"as_of": (today() + timedelta(days=400)).isoformat()},
                      headers=admin).json
    assert dry["dry_run"] and [c["reason"] for c in dry["changes"] if c["volunteer_id"] == card.volunteer_id] == [
        "keep_condition_missed"]


def test_the_approval_answer_says_what_a_cap_withheld(client, login_as, make, session):
    book.create_rule_set(session, name="NW", effective_from=today() - timedelta(days=100), actor=SYSTEM_ACTOR,
                         definition=presets.preset("nw-2018")["definition"], allow_past=True)
    card = make.card()
    first = [make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=d), minutes=8 * 60)
             for d in range(20, 28)]  # 64 h: 44,800
    _, staff = login_as("staff")
    bulk = client.post("/admin/claims/bulk-approve", json={"claim_ids": [c.id for c in first]}, headers=staff).json
    assert bulk["approved"] == 8
    capped = make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=5), minutes=8 * 60)
    answer = client.post(f"/admin/claims/{capped.id}/approve", headers=staff).json
    assert (answer["points"], answer["withheld_points"], answer["withheld_by"]) == (5_200, 400, "lifetime_cap")
    assert answer["rule_set_version"] == 2 and answer["recognised_minutes"] == 480
    assert ledger.get_balance(session, card.account_id) == 50_000
