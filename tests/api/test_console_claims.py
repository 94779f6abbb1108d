"""Staff console: the approval queue (filters, bulk approval with per-claim results, reject, reverse)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from mileage.cards import lookup
from mileage.clock import seoul_today
from mileage.models import AuditEvent, ClaimState
from tests.api.console_client import ConsoleClient, redirect_of, text_of


@pytest.fixture
def console(client, make):
    console = ConsoleClient(client)
    console.staff = make.user(role="staff", username="choi.staff")
    console.login(console.staff)
    return console


@pytest.fixture
def organisations(make):
    return make.organisation(name="노원구 자원봉사센터"), make.organisation(name="상계 노인복지관")


def _claim_rows(response) -> set[int]:
    html = response.get_data(as_text=True)
    return {int(found) for found in re.findall(r'<tr data-claim-id="(\d+)"', html)}


def test_the_queue_shows_claims_waiting_and_filters_them(console, make, organisations, session):
    centre, home = organisations
    yesterday = seoul_today() - timedelta(days=1)
    week_ago = seoul_today() - timedelta(days=7)
    a = make.claim(organisation=centre, category="환경", work_date=yesterday)
    b = make.claim(organisation=home, category="복지", work_date=yesterday)
    c = make.claim(organisation=home, category="복지", work_date=week_ago)
    approved = make.claim(organisation=home)
    approved.state = ClaimState.APPROVED
    session.flush()

    assert _claim_rows(console.get("/console/claims/")) == {a.id, b.id, c.id}
    assert _claim_rows(console.get(f"/console/claims/?organisation_id={home.id}")) == {b.id, c.id}
    assert _claim_rows(console.get("/console/claims/?category=복지")) == {b.id, c.id}
    assert _claim_rows(console.get(f"/console/claims/?date_from={yesterday}&date_to={yesterday}")) == {a.id, b.id}
    assert _claim_rows(console.get(f"/console/claims/?state=approved&organisation_id={home.id}")) == {approved.id}
    assert _claim_rows(console.get("/console/claims/?state=")) == {a.id, b.id, c.id, approved.id}
    page = text_of(console.get("/console/claims/"))
    assert "노원구 자원봉사센터" in page and "2,000" in page  # two hours at 1,000 points an hour


def test_the_queue_pages_with_a_cursor(console, make, organisations, monkeypatch):
    from admin.console import approval_pages

    monkeypatch.setattr(approval_pages, "QUEUE_PAGE_SIZE", 4)
    claims = [make.claim(organisation=organisations[0], start_minute=60 * hour, minutes=30) for hour in range(1, 7)]
    first = console.get(f"/console/claims/?organisation_id={organisations[0].id}")
    assert _claim_rows(first) == {claim.id for claim in claims[2:]}
    next_link = re.search(r'href="([^"]+)" rel="next"', first.get_data(as_text=True)).group(1)
    second = console.get(next_link.replace("&amp;", "&"))
    assert _claim_rows(second) == {claim.id for claim in claims[:2]}
    assert 'rel="next"' not in second.get_data(as_text=True)


def test_bulk_approval_credits_each_volunteer_and_lists_the_results(console, make, session):
    volunteers = [make.card().volunteer for _ in range(3)]
    claims = [make.claim(volunteer=volunteer, minutes=90) for volunteer in volunteers]
    response = console.post("/console/claims/approve", {"claim_id": [claim.id for claim in claims]})
    assert response.status_code == 200
    page = text_of(response)
    assert "3건 승인 (4,500점 적립), 0건 실패" in page
    assert _claim_rows(response) == {claim.id for claim in claims}
    for volunteer in volunteers:
        assert lookup.card_balance(session, lookup.current_card(session, volunteer.id)) == 1500
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "claim.approve")).all()
    assert {event.target_id for event in events} == {str(claim.id) for claim in claims}
    assert all(event.actor_user_id == console.staff.id and event.ip_address and event.request_id for event in events)


def test_forms_on_the_results_page_return_to_the_queue_not_to_the_post(console, make):
    claim = make.claim()
    results = console.post("/console/claims/approve", {"claim_id": claim.id, "_back": "/console/claims/?category=복지"})
    backs = set(re.findall(r'name="_back" value="([^"]+)"', results.get_data(as_text=True)))
    assert backs == {"/console/claims/?category=복지"}
    switched = console.post("/console/language", {"lang": "en", "_back": backs.pop()})
    assert console.get(switched.headers["Location"]).status_code == 200


def test_bulk_approval_reports_each_failure_in_korean_and_approves_the_rest(console, make, session):
    good = make.claim()
    rejected = make.claim()
    console.post(f"/console/claims/{rejected.id}/reject", {"reason": "중복 신청"})
    no_card = make.claim(volunteer=make.volunteer())
    response = console.post("/console/claims/approve", {"claim_id": [good.id, rejected.id, no_card.id, 999999]})
    page = text_of(response)
    assert "1건 승인 (2,000점 적립), 3건 실패" in page
    # The state by its Korean name, never the raw "rejected".
    assert "이미 처리된 신청입니다. (반려)" in page and "rejected" not in page
    assert "발급된 카드가 없습니다." in page
    assert "봉사시간 신청을 찾을 수 없습니다." in page
    session.refresh(good)
    session.refresh(no_card)
    assert good.state == ClaimState.APPROVED and no_card.state == ClaimState.SUBMITTED


def test_approving_nothing_is_a_korean_error(console):
    response = console.post("/console/claims/approve", {"_back": "/console/claims/"})
    assert redirect_of(response) == (303, "/console/claims/")
    assert "입력값을 확인하세요: 승인할 신청" in text_of(console.get("/console/claims/"))


def test_rejecting_needs_a_reason_and_keeps_it(console, make, session):
    claim = make.claim()
    refused = console.post(f"/console/claims/{claim.id}/reject", {"reason": "  ", "_back": "/console/claims/"})
    assert redirect_of(refused) == (303, "/console/claims/")
    assert "반려 사유를 입력하세요." in text_of(console.get("/console/claims/"))
    session.refresh(claim)
    assert claim.state == ClaimState.SUBMITTED

    done = console.post(f"/console/claims/{claim.id}/reject", {"reason": "활동 확인서가 없습니다.",
                                                               "_back": "/console/claims/?category=복지"})
    assert unquote(done.headers["Location"]) == "/console/claims/?category=복지"
    session.refresh(claim)
    assert claim.state == ClaimState.REJECTED and claim.rejection_reason == "활동 확인서가 없습니다."
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "claim.reject")).one()
    assert event.actor_user_id == console.staff.id and event.after["reason"] == "활동 확인서가 없습니다."


def test_reversing_takes_the_points_back(console, make, session):
    claim = make.claim(minutes=60)
    console.post("/console/claims/approve", {"claim_id": claim.id})
    response = console.post(f"/console/claims/{claim.id}/reverse", {"reason": "기관 요청으로 취소"})
    assert redirect_of(response) == (303, "/console/claims/")
    assert "회수 1,000점" in text_of(console.get("/console/claims/?state=reversed"))
    session.refresh(claim)
    assert claim.state == ClaimState.REVERSED
    assert lookup.card_balance(session, lookup.current_card(session, claim.volunteer_id)) == 0


def test_a_refused_action_leaves_no_trace(console, make, session):
    claim = make.claim()
    console.post(f"/console/claims/{claim.id}/reject", {"reason": "중복"})
    events_before = session.scalars(select(AuditEvent)).all()
    response = console.post(f"/console/claims/{claim.id}/reject", {"reason": "다시", "_back": "/console/claims/"})
    assert redirect_of(response) == (303, "/console/claims/")
    assert "이미 처리된 신청입니다." in text_of(console.get("/console/claims/"))
    assert len(session.scalars(select(AuditEvent)).all()) == len(events_before)
