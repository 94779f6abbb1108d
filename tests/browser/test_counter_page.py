"""The cashier's counter page in headless Chromium, against a live server with real commits.

The QR token is the one the volunteer's own QR endpoint hands out; the cashier's scanner "types" it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mileage import ledger
from mileage.db import run_in_transaction
from mileage.models import Card
from tests.support.factories import Factories

pytestmark = pytest.mark.browser

VOLUNTEER_PASSWORD = "volunteer-password-1"


@dataclass
class Counter:
    key_id: str
    secret: str
    card_id: int
    username: str
    printed_number: str
    printed_card_id: int


@pytest.fixture(scope="module")
def counter(live_server) -> Counter:
    """A shop (10 %, at most 3,000 points) with a terminal, and two volunteers with 10,000 points each."""
    return seed_counter(live_server)


def seed_counter(live_server) -> Counter:
    """Commit a shop (10 %, at most 3,000 points) with a terminal, and two volunteers with 10,000 points each."""

    def seed(session):
        make = Factories(session)
        offer = {"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000}
        shop = make.merchant(name="상계 행복베이커리", offer=offer)
        credentials = make.terminal(shop, label="1번 계산대")
        card = make.card(balance=10_000)
        user = make.user(role="volunteer", volunteer_id=card.volunteer_id, password=VOLUNTEER_PASSWORD)
        printed = make.card(balance=10_000, pin="2468")
        return Counter(credentials.terminal.key_id, credentials.secret, card.id, user.username,
                       printed.number, printed.id)

    return run_in_transaction(live_server.session_factory, seed)


def card_balance(live_server, card_id: int) -> int:
    return run_in_transaction(
        live_server.session_factory,
        lambda session: ledger.get_balance(session, session.get(Card, card_id).account_id),
    )


def volunteer_qr_token(page, live_server, counter: Counter) -> str:
    """Sign in as the volunteer and fetch a fresh dynamic QR token from their own endpoint."""
    signed_in = page.request.post(live_server.base_url + "/auth/token",
                                  data={"username": counter.username, "password": VOLUNTEER_PASSWORD})
    assert signed_in.ok
    qr = page.request.get(live_server.base_url + "/me/card/qr",
                          headers={"Authorization": "Bearer " + signed_in.json()["access_token"]})
    assert qr.ok
    return qr.json()["token"]


def sign_in_at_the_counter(page, live_server, counter: Counter) -> None:
    page.goto(live_server.base_url + "/counter")
    page.fill("#key-id", counter.key_id)
    page.fill("#secret", counter.secret)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app", state="visible")
    assert "상계 행복베이커리" in page.inner_text("#shop-name")


def test_scan_a_phone_qr_preview_confirm_see_the_receipt_and_refund(page, live_server, counter):
    token = volunteer_qr_token(page, live_server, counter)
    sign_in_at_the_counter(page, live_server, counter)

    # The scan field has the focus; the scanner types the payload and presses Enter.
    assert page.evaluate("document.activeElement.id") == "scan"
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "amount"
    page.keyboard.type("20000")

    page.wait_for_selector("#preview", state="visible")
    assert page.inner_text("#preview-discount") == "\u22122,000점"
    assert page.inner_text("#preview-to-pay") == "18,000원"
    assert "모바일 QR" in page.inner_text("#preview-card")
    assert page.is_hidden("#pin-pad")
    assert card_balance(live_server, counter.card_id) == 10_000  # a preview moves nothing

    page.click("#confirm")

    page.wait_for_selector("#receipt", state="visible")
    assert page.inner_text("#receipt-discount") == "\u22122,000점"
    assert page.inner_text("#receipt-to-pay") == "18,000원"
    assert "*" in page.inner_text("#receipt-holder")
    assert card_balance(live_server, counter.card_id) == 8_000

    # Today's list shows the sale with a refund button; refund it all.
    page.wait_for_selector("#today-list li .refund-button")
    assert "1건" in page.inner_text("#till")
    page.click("#today-list li .refund-button")
    page.click("#today-list li .refund button:has-text('전액')")
    page.click("#today-list li .refund button[type=submit]")
    page.click("#today-list li .refund-confirm button:has-text('환불 확인')")
    page.wait_for_selector("#today-notice:has-text('2,000원 환불했습니다.')")
    assert card_balance(live_server, counter.card_id) == 10_000


def test_a_printed_card_asks_for_the_pin_on_the_pad(page, live_server, counter):
    sign_in_at_the_counter(page, live_server, counter)

    page.fill("#amount", "30000")
    page.fill("#scan", counter.printed_number)
    page.press("#scan", "Enter")

    page.wait_for_selector("#pin-pad", state="visible")
    assert page.inner_text("#preview-discount") == "\u22123,000점"
    assert page.is_disabled("#confirm")
    for digit in "2468":
        page.click(f".key[data-digit='{digit}']")
    assert page.inner_text("#pin-display") == "\u25cf" * 4
    page.click("#confirm")

    page.wait_for_selector("#receipt", state="visible")
    assert page.inner_text("#receipt-to-pay") == "27,000원"
    assert card_balance(live_server, counter.printed_card_id) == 7_000


def test_a_refusal_is_shown_in_korean_and_nothing_moves(page, live_server, counter):
    before = card_balance(live_server, counter.printed_card_id)
    sign_in_at_the_counter(page, live_server, counter)

    page.fill("#amount", "3000")
    page.fill("#scan", counter.printed_number)
    page.press("#scan", "Enter")

    page.wait_for_selector("#sale-error", state="visible")
    assert page.inner_text("#sale-error") == "구매 금액이 최소 결제 금액(5,000원)보다 적습니다."
    assert page.is_disabled("#confirm")
    assert card_balance(live_server, counter.printed_card_id) == before
