"""The counter's defects of issue 14, each tried as a cashier with a USB scanner would, in real Chromium.

A USB scanner is a keyboard that types very fast and presses Enter: `scan()` types the payload with
Playwright's keyboard wherever the focus is, which is exactly what the scanner does.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mileage.audit import SYSTEM_ACTOR
from mileage.db import run_in_transaction
from mileage.models import Terminal
from mileage.shops import terminal_sessions
from tests.browser.test_counter_page import card_balance, seed_counter, sign_in_at_the_counter, volunteer_qr_token

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def counter(live_server):
    return seed_counter(live_server)


TABLET_VIEWPORTS = [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}]


def scan(page, payload: str) -> None:
    """Do what a USB scanner does: type the payload fast into whatever has the focus, then Enter."""
    page.keyboard.type(payload)
    page.keyboard.press("Enter")


def start_phone_sale(page, live_server, counter, amount: str = "20000") -> str:
    token = volunteer_qr_token(page, live_server, counter)
    sign_in_at_the_counter(page, live_server, counter)
    scan(page, token)
    page.keyboard.type(amount)
    page.wait_for_selector("#preview", state="visible")
    return token


def test_clearing_the_scan_field_cancels_the_previous_card(page, live_server, counter):
    start_phone_sale(page, live_server, counter)
    before = card_balance(live_server, counter.card_id)

    page.click("#scan")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.click("#amount")
    page.keyboard.press("End")
    page.keyboard.type("0")  # 200000: a new amount, with no card on screen
    page.wait_for_timeout(1500)

    assert page.input_value("#scan") == ""
    assert page.is_hidden("#preview")
    assert page.is_disabled("#confirm")
    page.click("#confirm", force=True)
    page.wait_for_timeout(500)
    assert page.is_hidden("#receipt")
    assert card_balance(live_server, counter.card_id) == before


def test_a_rescan_replaces_the_code_in_the_field(page, live_server, counter):
    first = start_phone_sale(page, live_server, counter)
    second = volunteer_qr_token(page, live_server, counter)
    assert first != second

    page.click("#scan")
    page.keyboard.press("End")  # the caret after the old token, as a cashier leaves it
    scan(page, second)

    page.wait_for_selector("#preview", state="visible")
    assert page.input_value("#scan") == second
    assert page.is_hidden("#sale-error")
    page.click("#confirm")
    page.wait_for_selector("#receipt", state="visible")


def test_a_scan_while_the_receipt_is_shown_starts_the_next_sale(page, live_server, counter):
    start_phone_sale(page, live_server, counter)
    page.click("#confirm")
    page.wait_for_selector("#receipt", state="visible")
    assert page.evaluate("document.activeElement.id") == "new-sale"

    next_token = volunteer_qr_token(page, live_server, counter)
    scan(page, next_token)

    page.wait_for_selector("#sale", state="visible")
    assert page.input_value("#scan") == next_token
    assert page.evaluate("document.activeElement.id") == "amount"
    page.keyboard.type("10000")
    page.wait_for_selector("#preview", state="visible")
    assert page.inner_text("#preview-discount") == "\u22121,000점"


@pytest.mark.parametrize("field", ["discount", "amount"])
def test_a_scan_into_another_field_lands_as_a_scan(page, live_server, counter, field):
    start_phone_sale(page, live_server, counter)
    page.click("#" + field)
    page.keyboard.press("End")
    printed = counter.printed_number
    scan(page, printed)

    page.wait_for_selector("#pin-pad", state="visible")
    assert page.input_value("#scan") == printed
    assert page.input_value("#discount") == ""
    assert page.input_value("#amount").replace(",", "") == "20000"
    assert "실물 카드" in page.inner_text("#preview-card")


@pytest.mark.parametrize("field", ["scan", "discount"])
def test_a_scanner_that_stalls_mid_code_still_lands_one_whole_scan(page, live_server, counter, field):
    start_phone_sale(page, live_server, counter)
    page.click("#" + field)
    printed = counter.printed_number
    page.keyboard.type(printed[:8])
    page.wait_for_timeout(600)  # a Bluetooth scanner losing its link for a moment
    scan(page, printed[8:])

    page.wait_for_selector("#pin-pad", state="visible")
    assert page.input_value("#scan") == printed
    assert page.input_value("#discount") == ""
    assert "실물 카드" in page.inner_text("#preview-card")


def test_a_scanner_that_stalls_on_the_receipt_still_starts_the_next_sale_with_the_whole_code(page, live_server,
                                                                                            counter):
    start_phone_sale(page, live_server, counter)
    page.click("#confirm")
    page.wait_for_selector("#receipt", state="visible")
    next_token = volunteer_qr_token(page, live_server, counter)

    page.keyboard.type(next_token[:40])  # the focus is on "next sale", a button: these keys land nowhere
    page.wait_for_timeout(600)
    scan(page, next_token[40:])

    page.wait_for_selector("#sale", state="visible")
    assert page.input_value("#scan") == next_token
    assert page.evaluate("document.activeElement.id") == "amount"


def test_typing_an_amount_asks_for_one_quote_and_flashes_no_error(page, live_server, counter):
    sign_in_at_the_counter(page, live_server, counter)
    quotes = []
    page.on("request",
            lambda request: quotes.append(request) if request.url.endswith("/merchant/checkout/preview") else None)
    page.evaluate("""() => {
        window.errorSeen = false;
        const error = document.getElementById('sale-error');
        new MutationObserver(() => { if (!error.hidden) window.errorSeen = true; })
            .observe(error, {attributes: true, childList: true, characterData: true, subtree: true});
    }""")
    scan(page, counter.printed_number)
    page.keyboard.type("15000", delay=400)  # a cashier, not a scanner

    page.wait_for_selector("#preview", state="visible")
    page.wait_for_timeout(800)
    assert len(quotes) == 1
    assert page.evaluate("window.errorSeen") is False
    assert page.inner_text("#preview-to-pay") == "13,500원"


@pytest.mark.parametrize("viewport", TABLET_VIEWPORTS, ids=["1024x768", "768x1024"])
def test_the_pin_pad_leaves_the_confirm_button_on_screen(browser, live_server, counter, viewport):
    context = browser.new_context(locale="ko-KR", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in_at_the_counter(page, live_server, counter)
        scan(page, counter.printed_number)
        page.keyboard.type("30000")
        page.wait_for_selector("#pin-pad", state="visible")
        page.evaluate("window.scrollTo(0, 0)")
        for selector in ["#confirm", ".key[data-digit='0']", "#pin-back", "#preview-to-pay"]:
            box = page.locator(selector).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (selector, box)
        for key in page.locator(".key").all():
            box = key.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44
    finally:
        context.close()


def test_a_discount_above_the_cap_is_announced(page, live_server, counter):
    sign_in_at_the_counter(page, live_server, counter)
    scan(page, counter.printed_number)
    page.keyboard.type("40000")
    page.fill("#discount", "5000")
    page.press("#discount", "Enter")

    page.wait_for_selector("#preview-note", state="visible")
    assert page.inner_text("#preview-discount") == "\u22123,000점"
    note = "요청한 5,000점 대신 3,000점만 할인됩니다: 1회 할인 한도가 3,000점입니다."
    assert page.inner_text("#preview-note") == note


def test_a_refund_is_typed_in_won_and_confirmed_before_anything_moves(page, live_server, counter):
    start_phone_sale(page, live_server, counter)
    page.click("#confirm")
    page.wait_for_selector("#receipt", state="visible")
    after_sale = card_balance(live_server, counter.card_id)

    button = page.locator("#today-list li .refund-button").first
    button.wait_for(state="visible")
    page.wait_for_timeout(300)  # today's list is drawn again once the till answers
    # Counted in one evaluation, once the label is laid out: under load the list may still be redrawn.
    lines = page.wait_for_function(
        "() => { const b = document.querySelector('#today-list li .refund-button'); if (!b) return null;"
        " const r = document.createRange(); r.selectNodeContents(b);"
        " return new Set(Array.from(r.getClientRects(), c => Math.round(c.top))).size || null; }"
    ).json_value()
    assert lines == 1, "the refund button's label wraps"
    button.click()
    refund = page.locator("#today-list li .refund").first
    assert refund.locator("input").input_value() == ""
    assert "원" in refund.locator("label").inner_text()
    refund.locator("input").fill("1,000")
    refund.locator("button[type=submit]").click()

    question = refund.locator(".refund-question")
    question.wait_for(state="visible")
    assert "1,000원" in question.inner_text()
    assert card_balance(live_server, counter.card_id) == after_sale  # asking moves nothing
    refund.locator(".refund-confirm button:has-text('환불 확인')").click()

    notice = page.locator("#today-notice")
    notice.wait_for(state="visible")
    assert "1,000원 환불했습니다." in notice.inner_text()
    assert card_balance(live_server, counter.card_id) == after_sale + 1_000
    notice.wait_for(state="hidden", timeout=15_000)  # it does not stay for the rest of the shift


def test_a_wrong_pin_is_sent_once_and_keeps_the_cashier_signed_in(page, live_server, counter):
    sign_in_at_the_counter(page, live_server, counter)
    sales = []
    page.on("request", lambda request: sales.append(request.post_data_json)
            if request.url.endswith("/merchant/checkout") and request.method == "POST" else None)
    scan(page, counter.printed_number)
    page.keyboard.type("30000")
    page.wait_for_selector("#pin-pad", state="visible")
    for digit in "1111":
        page.click(f".key[data-digit='{digit}']")
    page.click("#confirm")

    page.wait_for_selector("#sale-error", state="visible")
    page.wait_for_timeout(500)
    assert len(sales) == 1 and sales[0]["pin"] == "1111"
    assert page.is_visible("#app") and page.is_hidden("#login")
    assert page.inner_text("#pin-display") == ""
    # Unlock the card again for the other tests: the right PIN still works (4 attempts left).
    for digit in "2468":
        page.click(f".key[data-digit='{digit}']")
    page.click("#confirm")
    page.wait_for_selector("#receipt", state="visible")


def test_a_wrong_pin_answered_as_403_is_not_taken_for_an_expired_sign_in(page, live_server, counter):
    sign_in_at_the_counter(page, live_server, counter)
    calls = []

    def refuse_pin(route):
        calls.append(route.request.url)
        route.fulfill(status=403, content_type="application/json",
                      body='{"code": "wrong_pin", "status": 403, "message": "PIN이 올바르지 않습니다."}')

    page.route("**/merchant/checkout", refuse_pin)
    refreshes = []
    page.on("request", lambda request: refreshes.append(1) if request.url.endswith("/merchant/auth/refresh") else None)
    scan(page, counter.printed_number)
    page.keyboard.type("30000")
    page.wait_for_selector("#pin-pad", state="visible")
    for digit in "1357":
        page.click(f".key[data-digit='{digit}']")
    page.click("#confirm")
    page.wait_for_selector("#sale-error:has-text('PIN이 올바르지 않습니다.')")
    page.wait_for_timeout(300)
    assert len(calls) == 1 and refreshes == []
    assert page.is_visible("#app")


def test_the_secret_is_never_kept_and_a_reload_keeps_the_session_until_staff_end_it(page, live_server, counter):
    page.goto(live_server.base_url + "/counter")
    page.fill("#key-id", counter.key_id)
    page.fill("#secret", counter.secret)
    page.check("#remember")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app", state="visible")

    stored = page.evaluate("() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),"
                           " document.cookie])")
    assert counter.secret not in stored
    cookies = page.context.cookies()
    session_cookie = next(c for c in cookies if c["name"] == "mileage_counter_session")
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Strict"
    assert counter.secret not in session_cookie["value"]

    page.reload()
    page.wait_for_selector("#app", state="visible")  # no secret typed again
    assert "상계 행복베이커리" in page.inner_text("#shop-name")

    def end_sessions(session):
        terminal_id = session.scalar(select(Terminal.id).where(Terminal.key_id == counter.key_id))
        return terminal_sessions.end_terminal_sessions(session, terminal_id, actor=SYSTEM_ACTOR)

    assert run_in_transaction(live_server.session_factory, end_sessions) >= 1
    page.reload()
    page.wait_for_selector("#login", state="visible")
    assert page.is_hidden("#app")


def test_sign_out_ends_the_session_on_the_server(page, live_server, counter):
    sign_in_at_the_counter(page, live_server, counter)
    copied = next(c for c in page.context.cookies() if c["name"] == "mileage_counter_session")
    page.click("#logout")
    page.wait_for_selector("#login", state="visible")
    replay = page.request.post(live_server.base_url + "/merchant/auth/refresh",
                               headers={"Cookie": f"mileage_counter_session={copied['value']}"})
    assert replay.status == 401
