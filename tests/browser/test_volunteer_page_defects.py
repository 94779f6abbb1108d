"""The phone's defects of issue 14, each tried as a 70-year-old volunteer on a cheap phone would, in Chromium."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.clock import seoul_today
from mileage.db import run_in_transaction
from mileage.models import Card
from tests.browser.test_volunteer_page import scanned_qr
from tests.support.factories import Factories

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
SECTIONS = ["card", "history", "claims", "donate", "settings"]


@pytest.fixture(scope="module")
def people(live_server):
    """Volunteers in every state the page must explain, claims out of date order, and a shop to pay at."""

    def seed(session):
        make = Factories(session)
        organisation = make.organisation(name="노원 어린이도서관")
        card = make.card(balance=8000, pin="1357")
        today = seoul_today()
        # Submitted in this order; the page lists them newest day first.
        for days_ago in (9, 2, 30, 5):
            make.claim(volunteer=card.volunteer, organisation=organisation, work_date=today - timedelta(days=days_ago))
        user = make.user(role="volunteer", username="halmoni", password=PASSWORD, volunteer_id=card.volunteer_id)

        lost = make.card(balance=500)
        make.card_status(lost, "lost")
        make.user(role="volunteer", username="lost.card", password=PASSWORD, volunteer_id=lost.volunteer_id)

        old = make.card(balance=700)
        make.card_status(old, "lost")
        new = lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR).card
        make.user(role="volunteer", username="new.card", password=PASSWORD, volunteer_id=old.volunteer_id)

        shop = make.merchant(offer={"rate_bp": 1000, "max_discount": 3000, "min_purchase": 0})
        terminal = make.terminal(shop)
        return SimpleNamespace(
            card_id=card.id, username=user.username, old_last4=old.number[-4:], new_last4=new.number[-4:],
            terminal=f"{terminal.terminal.key_id}:{terminal.secret}",
        )

    return run_in_transaction(live_server.session_factory, seed)


def sign_in(page, live_server, username: str, section: str = "") -> None:
    page.goto(live_server.base_url + "/m" + (f"#{section}" if section else ""))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible()


def pin_failures(live_server, card_id: int) -> int:
    return run_in_transaction(live_server.session_factory, lambda s: s.get(Card, card_id).pin_failed_attempts)


def test_a_wrong_current_pin_uses_up_one_attempt_not_two(page, live_server, people):
    before = pin_failures(live_server, people.card_id)
    sign_in(page, live_server, people.username, "settings")
    puts = []
    page.on("request", lambda r: puts.append(r) if r.url.endswith("/me/card/pin") and r.method == "PUT" else None)
    expect(page.locator("#current-pin-label")).to_be_visible()
    page.fill("#current-pin", "0000")
    page.fill("#new-pin", "2468")
    page.click("#pin-form button[type=submit]")

    expect(page.locator("#pin-error")).to_be_visible()
    page.wait_for_timeout(800)
    assert len(puts) == 1
    assert pin_failures(live_server, people.card_id) == before + 1
    expect(page.locator("#app")).to_be_visible()  # not taken for an expired sign-in
    expect(page.locator("#login")).to_be_hidden()
    # Put the card back as it was for the other tests.
    run_in_transaction(live_server.session_factory,
                       lambda s: setattr(s.get(Card, people.card_id), "pin_failed_attempts", before))


def test_after_paying_the_phone_shows_the_new_balance_and_a_fresh_qr_within_seconds(page, live_server, people):
    sign_in(page, live_server, people.username)
    expect(page.locator("#balance")).to_have_text("8,000점")
    token = scanned_qr(page)
    first_src = page.get_attribute("#qr", "src")

    sale = page.request.post(
        live_server.base_url + "/merchant/redemptions",
        headers={"Authorization": "Terminal " + people.terminal, "Idempotency-Key": "phone-" + secrets.token_hex(8)},
        data={"scanned": token, "purchase_amount": 10_000},
    )
    assert sale.status == 201, sale.text()

    expect(page.locator("#balance")).to_have_text("7,000점", timeout=6_000)
    expect(page.locator("#paid-notice")).to_be_visible()
    expect(page.locator("#qr")).not_to_have_attribute("src", first_src, timeout=6_000)
    assert scanned_qr(page) != token
    # Give the points back for the other tests.
    run_in_transaction(live_server.session_factory, lambda s: Factories(s).credit(s.get(Card, people.card_id), 1000))


def test_she_stays_signed_in_when_she_opens_the_page_again(page, live_server, people):
    sign_in(page, live_server, people.username)
    expect(page.locator("#balance")).not_to_have_text("\u00a0")
    stored = page.evaluate("() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert "refresh" not in stored and "eyJ" not in stored  # no token a script could read

    # Opening the page again from the home screen is a new tab: its sessionStorage is empty.
    again = page.context.new_page()
    again.goto(live_server.base_url + "/m")
    expect(again.locator("#app")).to_be_visible()
    expect(again.locator("#login")).to_be_hidden()
    expect(again.locator("#qr")).to_have_attribute("src", re.compile(r"^blob:"))


def test_the_page_can_be_put_on_the_home_screen(page, live_server):
    page.goto(live_server.base_url + "/m")
    href = page.get_attribute("link[rel=manifest]", "href")
    manifest = page.request.get(live_server.base_url + href)
    assert manifest.ok and manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["display"] == "standalone" and body["start_url"].startswith("/m")
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert page.request.get(live_server.base_url + icon["src"]).headers["content-type"] == "image/png"


def test_sign_out_ends_the_sign_in_on_the_server(page, live_server, people):
    sign_in(page, live_server, people.username, "settings")
    copied = next(c for c in page.context.cookies() if c["name"] == "mileage_refresh")
    page.click("#logout-settings")
    expect(page.locator("#login")).to_be_visible()
    replay = page.request.post(live_server.base_url + "/auth/session/refresh",
                               headers={"Cookie": f"mileage_refresh={copied['value']}"})
    assert replay.status == 401


def test_sections_a_thumb_can_reach_and_claims_newest_first(page, live_server, people):
    sign_in(page, live_server, people.username)
    tabs = page.locator("nav.tabs .tab")
    expect(tabs).to_have_text(["카드", "내역", "봉사 신청", "기부", "설정"])
    viewport = page.viewport_size
    for tab in tabs.all():
        box = tab.bounding_box()
        assert box["height"] >= 44 and box["y"] + box["height"] <= viewport["height"]  # at the bottom, on screen

    page.click(".tab[data-section=claims]")
    expect(page.locator("#section-claims")).to_be_visible()
    expect(page.locator("#section-card")).to_be_hidden()
    rows = page.locator("#claims .claim-row")
    expect(rows).to_have_count(4)
    days = [text.split(" ")[0] for text in rows.locator(".sub").all_inner_texts() if text[:2] == "20"]
    assert days == sorted(days, reverse=True) and len(days) == 4

    page.click(".tab[data-section=history]")
    expect(page.locator("#section-history")).to_be_visible()
    expect(page.locator("#section-claims")).to_be_hidden()


def test_at_320_px_with_200_percent_text_nothing_is_cut_off_or_scrolls_sideways(browser, live_server, people):
    # bypass_csp: the test adds a style of its own, as the phone's text setting would.
    context = browser.new_context(locale="ko-KR", viewport={"width": 320, "height": 640}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(live_server.base_url + "/m")
        page.add_style_tag(content=":root { font-size: 34px !important; }")  # the phone's text at 200 %
        page.fill("#username", people.username)
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#balance")).to_have_text("8,000점")
        for section in SECTIONS:
            page.evaluate(f"location.hash = '#{section}'")
            page.wait_for_timeout(200)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, f"{section}: the page is {width} px wide"
        page.evaluate("location.hash = '#card'")
        clipped = page.evaluate("""() => {
            const b = document.getElementById('balance');
            const r = b.getBoundingClientRect();
            return b.scrollWidth > b.clientWidth || r.right > 320 || r.left < 0;
        }""")
        assert not clipped, "the balance is cut off"
        lines = page.locator("#logout").evaluate(
            "b => { const r = document.createRange(); r.selectNodeContents(b); "
            "return new Set(Array.from(r.getClientRects(), c => Math.round(c.top))).size; }")
        assert lines == 1, "로그아웃 wraps"
    finally:
        context.close()


def test_a_lost_card_says_what_happened_and_what_to_do(page, live_server, people):
    sign_in(page, live_server, "lost.card")
    notice = page.locator("#card-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("분실 신고")
    expect(notice).to_contain_text("자원봉사센터")
    expect(page.locator("#qr-refresh")).to_be_hidden()
    expect(page.locator("#qr")).to_be_hidden()


def test_a_reissued_card_says_the_new_card_is_ready(page, live_server, people):
    sign_in(page, live_server, "new.card")
    notice = page.locator("#card-notice")
    expect(notice).to_contain_text(f"새 카드(끝자리 {people.new_last4})가 준비되었습니다")
    expect(notice).to_contain_text(people.old_last4)
    expect(page.locator("#qr")).to_be_visible()


def test_the_statement_is_on_the_page_by_month_and_reversed_dates_say_so(page, live_server, people):
    sign_in(page, live_server, people.username, "history")
    today = seoul_today()
    expect(page.locator("#month-label")).to_have_text(f"{today.year}년 {today.month}월")
    balance = run_in_transaction(
        live_server.session_factory,
        lambda s: ledger.get_balance(s, s.scalar(select(Card.account_id).where(Card.id == people.card_id))),
    )
    expect(page.locator("#month-closing")).to_have_text(f"{balance:,}점")
    expect(page.locator("#month-lines li").first).to_be_visible()
    page.click("#month-prev")
    previous = today.replace(day=1) - timedelta(days=1)
    expect(page.locator("#month-label")).to_have_text(f"{previous.year}년 {previous.month}월")

    page.fill("#statement-from", "2026-05-02")
    page.fill("#statement-to", "2026-05-01")
    page.click("#statement-download")
    expect(page.locator("#statement-error")).to_have_text("시작일이 종료일보다 늦습니다. 두 날짜를 바꿔 입력하세요.")
