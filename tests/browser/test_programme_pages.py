"""The programme's rules in headless Chromium: the tier on /m, the counter's preview and receipt with a
tier benefit and a points discount together, and the console's rules page with a what-if."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.clock import seoul_today as today
from mileage.db import run_in_transaction
from mileage.models import BenefitUse, Card
from mileage.programme import book, presets
from mileage.shops import benefits
from tests.support.factories import Factories

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@dataclass
class Seeded:
    key_id: str
    secret: str
    card_id: int
    card_number: str
    volunteer_username: str
    admin_username: str


@pytest.fixture(scope="module")
def seeded(live_server) -> Seeded:
    """The Nowon rules; a 그린 volunteer (56 h: 600 points) with 4,400 more; a shop with 그린 10 % and points 10 %."""

    def seed(session):
        book.create_rule_set(session, name="노원 2011", effective_from=today() - timedelta(days=200),
                             definition=presets.preset("nowon-2011")["definition"], actor=SYSTEM_ACTOR,
                             allow_past=True, preset="nowon-2011")
        make = Factories(session)
        card = make.card(pin="2468")
        organisation = make.organisation(name="노원 어르신 돌봄센터")
        for days_ago in range(10, 18):
            claim = make.claim(volunteer=card.volunteer, organisation=organisation,
                               work_date=today() - timedelta(days=days_ago), start_minute=9 * 60, minutes=7 * 60)
            review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
        make.credit(card, 4_400)
        volunteer = make.user(role="volunteer", volunteer_id=card.volunteer_id, password=PASSWORD)
        admin = make.user(role="admin", password=PASSWORD)
        shop = make.merchant(name="공릉 국수집", offer={"rate_bp": 1000, "max_discount": 5000, "min_purchase": 0})
        benefits.set_tier_benefit(session, shop.id, rate_bp=1000, min_tier="그린", actor=SYSTEM_ACTOR)
        credentials = make.terminal(shop, label="1번 계산대")
        return Seeded(credentials.terminal.key_id, credentials.secret, card.id, card.number, volunteer.username,
                      admin.username)

    return run_in_transaction(live_server.session_factory, seed)


def test_the_volunteer_sees_the_tier_and_the_hours_to_the_next(page, live_server, seeded):
    page.goto(live_server.base_url + "/m")
    page.fill("#username", seeded.volunteer_username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#tier", state="visible")
    assert page.inner_text("#tier-name") == "등급 그린"
    assert page.inner_text("#tier-next") == "다음 등급(골드)까지 145시간"
    assert "최근 1년 20시간 이상" in page.inner_text("#tier-keep")


def test_the_counter_shows_the_tier_benefit_and_the_points_discount_and_the_receipt(page, live_server, seeded):
    page.goto(live_server.base_url + "/counter")
    page.fill("#key-id", seeded.key_id)
    page.fill("#secret", seeded.secret)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app", state="visible")
    page.keyboard.type(seeded.card_number)
    page.keyboard.press("Enter")
    page.keyboard.type("30000")
    page.wait_for_selector("#preview", state="visible")
    assert page.inner_text("#preview-tier") == "그린"
    assert page.inner_text("#preview-benefit").startswith("\u22123,000원")
    assert page.inner_text("#preview-discount") == "\u22123,000점"
    assert page.inner_text("#preview-to-pay") == "24,000원"
    for digit in "2468":
        page.click(f".key[data-digit='{digit}']")
    page.click("#confirm")
    page.wait_for_selector("#receipt", state="visible")
    assert page.inner_text("#receipt-tier") == "그린"
    assert page.inner_text("#receipt-benefit").startswith("\u22123,000원")
    assert page.inner_text("#receipt-discount") == "\u22123,000점"
    assert page.inner_text("#receipt-to-pay") == "24,000원"

    def after(session):
        card = session.get(Card, seeded.card_id)
        uses = session.query(BenefitUse).filter_by(card_id=card.id).all()
        return ledger.get_balance(session, card.account_id), [(use.tier, use.benefit_amount) for use in uses]

    assert run_in_transaction(live_server.session_factory, after) == (5_000 - 3_000, [("그린", 3_000)])


def test_the_admin_previews_new_rules_on_the_last_year_and_saves_them(page, live_server, seeded):
    base = live_server.base_url
    page.goto(f"{base}/console/login")
    page.get_by_label("아이디").fill(seeded.admin_username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(f"{base}/console/")
    page.get_by_role("link", name="적립 규칙").click()
    assert "노원 2011" in page.inner_text("#rule-versions")
    page.fill("#r-bands", "0:0, 50:200")
    page.click("#what-if-button")
    page.wait_for_selector("#what-if")
    assert "실제 지급 600점 · 새 규칙 1,200점 · 차이 600점" in page.inner_text("#what-if")
    page.fill("#r-name", "노원 2027 인상안")
    page.fill("#r-from", (today() + timedelta(days=1)).isoformat())
    page.click("#save-rules")
    page.wait_for_selector("text=저장했습니다")
    assert "노원 2027 인상안" in page.inner_text("#rule-versions")
