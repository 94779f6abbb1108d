"""Staff console: causes, donations on a volunteer's behalf, disbursements, and campaigns (create, run, rerun)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lookup
from mileage.donations import campaigns, donate
from mileage.donations import causes as donations_causes
from mileage.models import (
    AuditEvent,
    Campaign,
    CampaignItem,
    CampaignItemState,
    CampaignState,
    Cause,
    CauseStatus,
    Disbursement,
    Donation,
)
from tests.api.console_client import ConsoleClient, redirect_of, text_of


@pytest.fixture
def console(client, make):
    console = ConsoleClient(client)
    console.staff = make.user(role="staff", username="han.giving")
    console.login(console.staff)
    return console


def _form_key(page) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_open_a_cause_and_close_it(console, session):
    response = console.post("/console/donations/causes", {
        "name": "노원 행복나눔 푸드뱅크", "receiving_organisation": "노원구 푸드뱅크", "target_points": "1,000,000",
        "description": "연말 이웃돕기",
    })
    cause = session.scalars(select(Cause).where(Cause.name == "노원 행복나눔 푸드뱅크")).one()
    assert response.headers["Location"] == f"/console/donations/causes/{cause.id}"
    assert cause.target_points == 1_000_000
    assert "1,000,000점" in text_of(console.get(response.headers["Location"]))
    console.post(f"/console/donations/causes/{cause.id}/status", {"status": "closed"})
    session.refresh(cause)
    assert cause.status == CauseStatus.CLOSED
    events = session.scalars(select(AuditEvent).where(AuditEvent.target_type == "cause").order_by(AuditEvent.id))
    assert [event.action for event in events] == ["cause.create", "cause.close"]


def test_donating_on_behalf_records_consent_and_posts_once_per_form(console, make, session):
    card = make.card(balance=10000)
    cause = make.cause(name="상계동 이웃사랑 기금")
    page = console.get(f"/console/volunteers/{card.volunteer_id}")
    form = {"cause_id": cause.id, "points": "3,000", "consent_method": "written", "consent_note": "동의서 2025-118",
            "form_key": _form_key(page)}
    first = console.post(f"/console/volunteers/{card.volunteer_id}/donate", form)
    again = console.post(f"/console/volunteers/{card.volunteer_id}/donate", form)  # a double click, a reload
    assert redirect_of(first) == redirect_of(again) == (303, f"/console/volunteers/{card.volunteer_id}")
    donation = session.scalars(select(Donation)).one()
    assert (donation.points, donation.consent_method, donation.consent_note) == (3000, "written", "동의서 2025-118")
    assert donation.recorded_by_user_id == console.staff.id
    assert lookup.card_balance(session, card) == 7000
    assert ledger.get_balance(session, cause.account_id) == 3000
    assert f"영수증 {donation.receipt_number}" in text_of(console.get(f"/console/volunteers/{card.volunteer_id}"))


def test_verbal_consent_needs_a_witness(console, make, session):
    card = make.card(balance=5000)
    cause = make.cause()
    back = f"/console/volunteers/{card.volunteer_id}"
    console.post(f"{back}/donate", {"cause_id": cause.id, "points": "1000", "consent_method": "verbal", "_back": back})
    assert "구두 동의는 입회한 사람(이름 또는 직원)을 기록해야 합니다." in text_of(console.get(back))
    assert session.scalar(select(func.count()).select_from(Donation)) == 0
    console.post(f"{back}/donate", {"cause_id": cause.id, "points": "1000", "consent_method": "verbal",
                                    "witness_name": "최민정"})
    assert session.scalars(select(Donation)).one().witness_name == "최민정"


def test_donating_more_than_the_balance_is_refused(console, make, session):
    card = make.card(balance=500)
    cause = make.cause()
    back = f"/console/volunteers/{card.volunteer_id}"
    console.post(f"{back}/donate", {"cause_id": cause.id, "points": "800", "consent_method": "written",
                                    "consent_note": "서면", "_back": back})
    assert "마일리지 잔액이 부족합니다. (잔액 500점)" in text_of(console.get(back))
    assert lookup.card_balance(session, card) == 500


def test_disbursement_cannot_exceed_what_the_cause_holds(console, make, session):
    cause = make.cause(name="중계동 경로당 지원")
    donor = make.card(balance=4000)
    donate.donate_points(session, volunteer_id=donor.volunteer_id, cause_id=cause.id, points=4000)
    back = "/console/donations/disbursements"
    page = console.get(back)
    refused = console.post(back, {"cause_id": cause.id, "points": "5000", "memo": "쌀 20kg 전달", "_back": back,
                                  "form_key": _form_key(page)})
    assert redirect_of(refused) == (303, back)
    page = console.get(back)
    assert "기부처 잔액(4,000점)보다 많이 전달할 수 없습니다. (요청 5,000점)" in text_of(page)
    # The corrected form is a new submission: the page it comes from carries a new key.
    console.post(back, {"cause_id": cause.id, "points": "2500", "memo": "쌀 20kg 전달", "attachment_ref": "인수증-17",
                        "form_key": _form_key(page)})
    disbursement = session.scalars(select(Disbursement)).one()
    assert disbursement.points == 2500 and disbursement.attachment_ref == "인수증-17"
    summary = donations_causes.summarise_cause(session, cause)
    assert (summary.donated, summary.disbursed, summary.balance) == (4000, 2500, 1500)
    detail = text_of(console.get(f"/console/donations/causes/{cause.id}"))
    assert "4,000점" in detail and "2,500점" in detail and "1,500점" in detail


def test_a_campaign_is_created_run_and_its_rerun_posts_nothing_twice(console, make, session, session_factory):
    cause = make.cause(name="2025 연말 나눔 캠페인")
    rich, poor, blocked = make.card(balance=6000), make.card(balance=1000), make.card(balance=9000)
    make.card_status(blocked, "blocked")
    ids = ", ".join(str(card.volunteer_id) for card in (rich, poor, blocked))
    created = console.post("/console/donations/campaigns", {
        "name": "연말 나눔", "cause_id": cause.id, "amount_mode": "fixed", "points_per_volunteer": "2000",
        "volunteer_ids": ids, "consent_method": "written", "consent_note": "12월 동의서 일괄",
    })
    campaign = session.scalars(select(Campaign)).one()
    assert created.headers["Location"] == f"/console/donations/campaigns/{campaign.id}"
    assert campaign.state == CampaignState.READY and ledger.get_balance(session, cause.account_id) == 0

    ran = console.post(f"/console/donations/campaigns/{campaign.id}/run")
    assert redirect_of(ran) == (303, f"/console/donations/campaigns/{campaign.id}")
    waiting = text_of(console.get(ran.headers["Location"]))
    assert "실행을 요청했습니다" in waiting and ledger.get_balance(session, cause.account_id) == 0
    campaigns.run_requested_campaigns(session_factory, actor=SYSTEM_ACTOR)  # what the worker does
    page = text_of(console.get(ran.headers["Location"]))
    assert "잔액 부족" in page and "카드 사용 정지" in page
    session.refresh(campaign)
    assert campaign.state == CampaignState.COMPLETED
    states = dict(session.execute(select(CampaignItem.volunteer_id, CampaignItem.state)).all())
    assert states == {rich.volunteer_id: CampaignItemState.DONE, poor.volunteer_id: CampaignItemState.SKIPPED,
                      blocked.volunteer_id: CampaignItemState.SKIPPED}

    console.post(f"/console/donations/campaigns/{campaign.id}/run")
    campaigns.run_requested_campaigns(session_factory, actor=SYSTEM_ACTOR)
    assert ledger.get_balance(session, cause.account_id) == 2000
    assert lookup.card_balance(session, rich) == 4000
    assert session.scalar(select(func.count()).select_from(Donation)) == 1
    assert "2,000점" in text_of(console.get(f"/console/donations/causes/{cause.id}"))


def test_a_whole_balance_campaign_by_organisation(console, make, session, session_factory):
    cause = make.cause()
    centre = make.organisation(name="월계 종합사회복지관")
    volunteers = [make.card().volunteer for _ in range(2)]
    for volunteer in volunteers:
        console.post("/console/claims/approve", {"claim_id": make.claim(volunteer=volunteer, organisation=centre).id})
    make.card(balance=3000)  # volunteered elsewhere: not picked
    console.post("/console/donations/campaigns", {
        "name": "월계 봉사자 나눔", "cause_id": cause.id, "amount_mode": "whole", "organisation_id": centre.id,
        "consent_method": "app",
    })
    campaign = session.scalars(select(Campaign)).one()
    console.post(f"/console/donations/campaigns/{campaign.id}/run")
    campaigns.run_requested_campaigns(session_factory, actor=SYSTEM_ACTOR)
    assert ledger.get_balance(session, cause.account_id) == 4000
    assert all(lookup.card_balance(session, lookup.current_card(session, v.id)) == 0 for v in volunteers)


def test_a_campaign_that_selects_nobody_is_refused(console, make, session):
    cause = make.cause()
    back = "/console/donations/campaigns"
    console.post(back, {"name": "빈 캠페인", "cause_id": cause.id, "amount_mode": "whole", "min_balance": "999999999",
                        "consent_method": "app", "_back": back})
    assert session.scalar(select(func.count()).select_from(Campaign)) == 0
    assert 'value="빈 캠페인"' in console.get(back).get_data(as_text=True)


def test_donation_lists_show_receipts(console, make, session):
    cause = make.cause(name="노원 꿈나무 장학")
    card = make.card(balance=2000)
    donation = donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=1500)
    page = text_of(console.get("/console/donations/list"))
    assert donation.receipt_number in page and "노원 꿈나무 장학" in page and "본인(앱)" in page
    causes = text_of(console.get("/console/donations/"))
    assert "노원 꿈나무 장학" in causes and "1,500" in causes
