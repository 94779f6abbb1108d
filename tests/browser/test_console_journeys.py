"""The staff console's main journeys in headless Chromium: bulk approval, and a donation campaign."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lookup
from mileage.db import run_in_transaction
from mileage.donations import campaigns, causes
from mileage.models import Donation
from tests.support.factories import Factories

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@dataclass
class Seeded:
    username: str
    organisation_id: int
    organisation_name: str
    volunteer_ids: list[int]
    claim_ids: list[int]
    cause_id: int = 0
    cause_name: str = ""


def _seed(live_server, work):
    return run_in_transaction(live_server.session_factory, lambda session: work(Factories(session)))


def _balance(live_server, volunteer_id: int) -> int:
    return run_in_transaction(
        live_server.session_factory,
        lambda session: lookup.card_balance(session, lookup.current_card(session, volunteer_id)),
    )


def _sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/console/login")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(f"{base_url}/console/")


def _points_on_page(page, selector: str) -> int:
    return int(page.locator(selector).get_attribute("data-points"))


def test_sign_in_bulk_approve_three_claims_and_see_the_balances_rise(live_server, page):
    def seed(make: Factories) -> Seeded:
        staff = make.user(role="staff", username="console.approver", display_name="김소연")
        centre = make.organisation(name="노원구 자원봉사센터 (승인)")
        names = ["이도현", "한지우", "서예린"]
        volunteers = [make.card(volunteer=make.volunteer(name=name)).volunteer for name in names]
        claims = [
            make.claim(volunteer=volunteer, organisation=centre, minutes=minutes, category="복지")
            for volunteer, minutes in zip(volunteers, (60, 90, 180), strict=True)
        ]
        return Seeded(staff.username, centre.id, centre.name, [v.id for v in volunteers], [c.id for c in claims])

    seeded = _seed(live_server, seed)
    before = [_balance(live_server, volunteer_id) for volunteer_id in seeded.volunteer_ids]
    base = live_server.base_url

    _sign_in(page, base, seeded.username)
    page.get_by_role("link", name="승인 대기", exact=True).click()
    page.get_by_label("기관").select_option(label=seeded.organisation_name)
    page.get_by_role("button", name="조회").click()
    page.wait_for_url(re.compile(rf".*organisation_id={seeded.organisation_id}.*"))
    assert page.locator("tr[data-claim-id]").count() == 3

    approve = page.locator("#approve-selected")
    assert approve.is_disabled()
    page.locator("#select-all").check()
    assert page.locator("[data-selected-count]").inner_text() == "3건 선택됨"
    approve.click()
    page.wait_for_selector("#confirm-summary")
    assert "3건, 총 5,500점을 승인합니다." in page.locator("#confirm-summary").inner_text()
    page.locator("#confirm-approve").click()

    page.wait_for_selector("#bulk-summary")
    assert page.locator("#bulk-summary").inner_text().strip() == "3건 승인 (5,500점 적립), 0건 실패"
    assert page.locator("#approved-claims tr[data-claim-id]").count() == 3

    expected_gain = [1000, 1500, 3000]  # 1, 1.5 and 3 hours at 1,000 points an hour
    for volunteer_id, start, gain in zip(seeded.volunteer_ids, before, expected_gain, strict=True):
        page.goto(f"{base}/console/volunteers/{volunteer_id}")
        on_page = _points_on_page(page, "#balance")
        assert on_page == start + gain
        assert page.locator("#balance").inner_text() == f"{start + gain:,}점"
        assert _balance(live_server, volunteer_id) == on_page

    page.goto(f"{base}/console/claims/?organisation_id={seeded.organisation_id}")
    assert page.locator("tr[data-claim-id]").count() == 0
    assert "조건에 맞는 신청이 없습니다." in page.locator("main").inner_text()


def test_run_a_small_donation_campaign_and_the_cause_total_matches(live_server, page):
    def seed(make: Factories) -> Seeded:
        staff = make.user(role="staff", username="console.giving", display_name="정하람")
        cause = make.cause(name="노원 이웃사랑 연말나눔", receiving_organisation="노원구 사회복지협의회")
        balances = {"문가온": 8000, "백시우": 2500, "남궁별": 1200}
        volunteers = []
        for name, points in balances.items():
            volunteers.append(make.card(volunteer=make.volunteer(name=name), balance=points).volunteer)
        return Seeded(staff.username, 0, "", [v.id for v in volunteers], [], cause.id, cause.name)

    seeded = _seed(live_server, seed)
    base = live_server.base_url
    page.on("dialog", lambda dialog: dialog.accept())

    _sign_in(page, base, seeded.username)
    page.goto(f"{base}/console/donations/campaigns")
    form = page.locator("#new-campaign")
    form.get_by_label("캠페인 이름").fill("2025 연말 나눔 (콘솔)")
    form.get_by_label("기부처").select_option(label=seeded.cause_name)
    form.get_by_label("1인당 정해진 포인트").check()
    page.locator("#g-points").fill("2000")
    form.get_by_label("봉사자 번호 (쉼표로 구분)").fill(", ".join(map(str, seeded.volunteer_ids)))
    form.get_by_label("동의 방법").select_option("written")
    form.get_by_label("동의 기록 (서류 번호 등)").fill("연말 나눔 동의서 2025-12")
    form.get_by_role("button", name="만들기 (아직 기부되지 않음)").click()

    page.wait_for_url(re.compile(r".*/console/donations/campaigns/\d+$"))
    assert _points_on_page(page, "#campaign-points") == 0
    page.locator("#run-campaign").click()
    page.wait_for_selector(".flash.success")
    assert page.locator("#run-waiting").count() == 1 and _points_on_page(page, "#campaign-points") == 0
    campaigns.run_requested_campaigns(live_server.session_factory, actor=SYSTEM_ACTOR)  # the worker's turn
    page.reload()
    assert _points_on_page(page, "#campaign-points") == 4000
    assert page.locator("#campaign-items tr[data-state='done']").count() == 2
    assert page.locator("#campaign-items tr[data-state='skipped']").count() == 1
    assert page.locator("#run-campaign, #run-waiting").count() == 0  # completed: nothing left to run

    page.get_by_role("link", name=seeded.cause_name).click()
    page.wait_for_url(f"{base}/console/donations/causes/{seeded.cause_id}")
    donated_on_page = _points_on_page(page, "#cause-donated")

    def ledger_figures(session):
        cause = causes.get_cause(session, seeded.cause_id)
        receipts = session.scalar(select(func.sum(Donation.points)).where(Donation.cause_id == cause.id))
        return ledger.get_balance(session, cause.account_id), receipts

    cause_balance, receipts = run_in_transaction(live_server.session_factory, ledger_figures)
    assert donated_on_page == cause_balance == receipts == 4000
    assert page.locator("table.donations tr[data-donation-id]").count() == 2
    assert [_balance(live_server, volunteer_id) for volunteer_id in seeded.volunteer_ids] == [6000, 500, 1200]
