"""The console's rules pages: versions (everyone reads), a new version (admins), what-if (staff and admins;
auditors use the API's what-if, since every console form post is a write they may not make)."""

from __future__ import annotations

from datetime import timedelta

from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.clock import seoul_today as today
from mileage.models import AuditEvent, JournalEntry, RuleSetVersion
from tests.api.console_client import ConsoleClient, text_of


def signed_in(client, make, role):
    console = ConsoleClient(client)
    console.user = make.user(role=role, username=f"rules.{role}")
    console.login(console.user)
    return console


NOWON_FORM = {"name": "노원 2011", "bands": "0:0, 50:100", "lifetime_cap": "250,000", "yearly_cap": "",
              "max_hours_per_day": "8", "claim_window_days": "90", "self_submit": "1", "minimum_age": "",
              "categories": "헌혈=240", "tiers": "일반:0:0, 그린:51:20, 골드:201:30", "note": ""}


def test_the_page_lists_versions_and_a_preset_prefills_the_form(client, make):
    console = signed_in(client, make, "staff")
    page = text_of(console.get("/console/rules/"))
    assert "버전 1" in page and "현재 적용" in page and "0:1000" in page
    prefilled = console.get("/console/rules/?preset=nowon-2011").get_data(as_text=True)
    assert 'value="0:0, 50:100"' in prefilled and 'value="250000"' in prefilled
    assert "일반:0:0, 그린:51:20, 골드:201:30" in prefilled
    # Staff read and preview; only admins save.
    assert "관리자만" in prefilled


def test_an_admin_saves_a_version_from_the_form_and_it_is_audited(client, make, session):
    console = signed_in(client, make, "admin")
    tomorrow = (today() + timedelta(days=1)).isoformat()
    answer = console.post("/console/rules/", {**NOWON_FORM, "effective_from": tomorrow, "preset": "nowon-2011"})
    assert answer.status_code == 303
    row = session.query(RuleSetVersion).filter_by(version=2).one()
    assert row.effective_from.isoformat() == tomorrow and row.preset == "nowon-2011"
    assert row.definition["bands"] == [{"from_hours": 0, "points_per_hour": 0},
                                       {"from_hours": 50, "points_per_hour": 100}]
    assert row.definition["categories"] == {"헌혈": {"counts": True, "fixed_minutes": 240}}
    assert [tier["name"] for tier in row.definition["tiers"]] == ["일반", "그린", "골드"]
    assert session.query(AuditEvent).filter_by(action="rule_set.create", actor_user_id=console.user.id).count() == 1
    past = console.post("/console/rules/", {**NOWON_FORM, "effective_from": (today() - timedelta(days=1)).isoformat()})
    assert past.status_code in (303, 422)
    assert session.query(RuleSetVersion).count() == 2


def test_staff_cannot_save_rules(client, make, session):
    console = signed_in(client, make, "staff")
    refused = console.post("/console/rules/", {**NOWON_FORM, "effective_from": today().isoformat()})
    assert refused.status_code == 403
    assert session.query(RuleSetVersion).count() == 1


def test_staff_run_the_what_if_and_nothing_is_posted(client, make, session):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=5), minutes=180)
    review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    entries = session.query(JournalEntry).count()
    console = signed_in(client, make, "staff")
    answer = console.post("/console/rules/what-if", {**NOWON_FORM, "bands": "0:500"})
    assert answer.status_code == 200, text_of(answer)[:500]
    page = text_of(answer)
    assert "실제 지급 3,000점" in page and "새 규칙 1,500점" in page and "차이 -1,500점" in page
    assert session.query(JournalEntry).count() == entries
    bad = console.post("/console/rules/what-if", {**NOWON_FORM, "bands": "zero"})
    assert bad.status_code == 422


def test_the_volunteer_page_shows_the_tier_and_its_history(client, make, session):
    from mileage.programme import book as rule_book
    from mileage.programme import presets

    rule_book.create_rule_set(session, name="노원", effective_from=today() - timedelta(days=100), actor=SYSTEM_ACTOR,
                              definition=presets.preset("nowon-2011")["definition"], allow_past=True)
    card = make.card()
    for days_ago in range(20, 28):
        claim = make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=days_ago), minutes=7 * 60)
        review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    console = signed_in(client, make, "auditor")
    page = text_of(console.get(f"/console/volunteers/{card.volunteer_id}"))
    assert "카드 등급 그린" in page and "누적 56시간" in page and "다음 등급(골드)까지 145시간" in page
    assert "일반 → 그린 (봉사시간 승인)" in page


def test_staff_set_a_shop_s_tier_discount_and_points_share_in_the_console(client, make, session):
    from mileage.programme import book as rule_book
    from mileage.programme import presets
    from mileage.shops import benefits, offers

    rule_book.create_rule_set(session, name="노원", effective_from=today() - timedelta(days=100), actor=SYSTEM_ACTOR,
                              definition=presets.preset("nowon-2011")["definition"], allow_past=True)
    shop = make.merchant()
    console = signed_in(client, make, "staff")
    page = console.get(f"/console/merchants/{shop.id}").get_data(as_text=True)
    assert "등급 할인이 없습니다." in page and '<option value="그린"' in page
    saved = console.post(f"/console/merchants/{shop.id}/tier-benefit", {"min_tier": "그린", "benefit_percent": "10"})
    assert saved.status_code == 303
    benefit = benefits.current_tier_benefit(session, shop.id)
    assert (benefit.min_tier, benefit.rate_bp) == ("그린", 1000)
    assert "그린 이상 카드 소지자 10% 할인" in text_of(console.get(f"/console/merchants/{shop.id}"))
    offered = console.post(f"/console/merchants/{shop.id}/offers", {
        "rate_percent": "50", "max_discount": "50000", "min_purchase": "0", "max_share_percent": "10",
        "no_partial_payment": "1"})
    assert offered.status_code == 303
    offer = offers.find_current_offer(session, shop.id)
    assert (offer.max_share_bp, offer.no_partial_payment) == (1000, True)
    assert "포인트 부분 결제 불가" in text_of(console.get(f"/console/merchants/{shop.id}"))


def test_the_seodaemun_preset_fills_and_saves_the_hours_needed_the_year_before(client, make, session):
    console = signed_in(client, make, "admin")
    prefilled = console.get("/console/rules/?preset=seodaemun-2024").get_data(as_text=True)
    assert 'name="min_hours_previous_year" min="0" max="8760" value="10"' in prefilled
    assert "전년도 필요 봉사시간" in prefilled
    tomorrow = (today() + timedelta(days=1)).isoformat()
    form = {**NOWON_FORM, "name": "서대문 2024", "bands": "0:1000", "lifetime_cap": "", "yearly_cap": "100,000",
            "minimum_age": "19", "min_hours_previous_year": "10", "tiers": "", "effective_from": tomorrow}
    assert console.post("/console/rules/", form).status_code == 303
    row = session.query(RuleSetVersion).filter_by(version=2).one()
    assert row.definition["min_hours_previous_year"] == 10 and row.definition["yearly_cap"] == 100_000
