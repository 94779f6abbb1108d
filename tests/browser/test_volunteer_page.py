"""The volunteer's mobile page in headless Chromium: sign in, balance, a QR a shop can scan, history."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import PIL.Image
import pytest
import zxingcpp
from playwright.sync_api import expect

from mileage import claims
from mileage.clock import seoul_today
from mileage.db import run_in_transaction
from mileage.qr_tokens import read_scan
from tests.support.factories import Factories

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def volunteer(live_server):
    """A volunteer with 12,345 points: 2,500 from approved hours at a named organisation, the rest credited."""

    def seed(session):
        make = Factories(session)
        card = make.card()
        organisation = make.organisation(name="노원 어린이도서관")
        claim = make.claim(
            volunteer=card.volunteer, organisation=organisation, minutes=150,
            work_date=seoul_today() - timedelta(days=1),
        )
        claims.approve_claim(session, claim.id, reviewer_id=None)
        make.credit(card, 9845)
        user = make.user(role="volunteer", username="browser.volunteer", password=PASSWORD,
                         volunteer_id=card.volunteer_id)
        return SimpleNamespace(card_id=card.id, number=card.number, username=user.username)

    return run_in_transaction(live_server.session_factory, seed)


def sign_in(page, live_server, volunteer, query: str = ""):
    page.goto(live_server.base_url + "/m" + query)
    page.fill("#username", volunteer.username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")


def api_balance(page) -> int:
    """Ask the API, with the page's own token, what the card holds."""
    return page.evaluate(
        """async () => {
            const token = sessionStorage.getItem("mileage.access");
            const response = await fetch("/me/card", {headers: {Authorization: "Bearer " + token}});
            return (await response.json()).balance;
        }"""
    )


def scanned_qr(page) -> str:
    """Screenshot the QR on the page, as a shop's scanner would see it, and decode it."""
    image = page.locator("#qr")
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    image.evaluate("img => img.decode()")
    results = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(page.locator("#qr").screenshot())))
    assert len(results) == 1
    return results[0].text


def test_volunteer_signs_in_and_sees_balance_qr_and_history(live_server, page, volunteer):
    sign_in(page, live_server, volunteer)
    expect(page.locator("#balance")).to_have_text("12,345점")
    assert api_balance(page) == 12345
    assert page.locator("#card-number").inner_text().endswith(volunteer.number[-4:])
    assert volunteer.number not in page.content()

    token = scanned_qr(page)
    signer = live_server.app.extensions["mileage.token_signer"]
    with live_server.session_factory() as session:
        scan = read_scan(session, signer, token)
        assert scan.card.id == volunteer.card_id and scan.is_dynamic

    rows = page.locator("#history .history-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("+9,845")
    for text in ("봉사 적립", "노원 어린이도서관", "+2,500"):
        expect(rows.nth(1)).to_contain_text(text)
    claim_row = page.locator("#claims .claim-row")
    expect(claim_row).to_have_count(1)
    expect(claim_row).to_contain_text("노원 어린이도서관")
    expect(claim_row).to_contain_text("승인")


def test_the_qr_renews_itself_before_it_expires(live_server, page, volunteer):
    page.clock.install()
    sign_in(page, live_server, volunteer)
    first = scanned_qr(page)
    first_src = page.get_attribute("#qr", "src")
    # The token lives two minutes; the page fetches the next one about 20 seconds before that.
    page.clock.run_for(101_000)
    expect(page.locator("#qr")).not_to_have_attribute("src", first_src)
    second = scanned_qr(page)
    assert second != first
    signer = live_server.app.extensions["mileage.token_signer"]
    with live_server.session_factory() as session:
        assert read_scan(session, signer, second).card.id == volunteer.card_id


def test_the_statement_downloads_as_a_csv_file(live_server, page, volunteer):
    sign_in(page, live_server, volunteer)
    expect(page.locator("#balance")).to_have_text("12,345점")
    with page.expect_download() as download_info:
        page.click("#statement-download")
    download = download_info.value
    assert download.suggested_filename.startswith("mileage-statement-")
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf" + "날짜".encode())
    assert "노원 어린이도서관" in content.decode("utf-8-sig")


def test_a_wrong_password_shows_the_reason_in_korean(live_server, page, volunteer):
    page.goto(live_server.base_url + "/m")
    page.fill("#username", volunteer.username)
    page.fill("#password", "not-the-password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("아이디 또는 비밀번호가 올바르지 않습니다.")
    expect(page.locator("#app")).to_be_hidden()


def test_the_page_in_english_formats_points_the_english_way(live_server, page, volunteer):
    sign_in(page, live_server, volunteer, "?lang=en")
    expect(page.locator("#balance")).to_have_text("12,345 points")


def test_an_expired_access_token_is_renewed_with_the_refresh_token(live_server, page, volunteer):
    sign_in(page, live_server, volunteer)
    expect(page.locator("#balance")).to_have_text("12,345점")
    page.evaluate("() => sessionStorage.setItem('mileage.access', 'expired-or-forged')")
    page.reload()
    expect(page.locator("#balance")).to_have_text("12,345점")
    assert page.evaluate("() => sessionStorage.getItem('mileage.access')") != "expired-or-forged"
    expect(page.locator("#login")).to_be_hidden()


def test_a_dead_sign_in_returns_to_the_login_form_with_a_reason(live_server, page, volunteer):
    sign_in(page, live_server, volunteer)
    expect(page.locator("#balance")).to_have_text("12,345점")
    page.evaluate(
        "() => { sessionStorage.setItem('mileage.access', 'x'); sessionStorage.setItem('mileage.refresh', 'y'); }"
    )
    page.reload()
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-error")).to_have_text("로그인이 만료되었습니다. 다시 로그인하세요.")
    expect(page.locator("#app")).to_be_hidden()
