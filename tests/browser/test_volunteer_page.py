"""The volunteer's mobile page in headless Chromium: sign in, balance, a QR a shop can scan, history,
donating to a cause, and the points about to expire."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards.qr import read_scan
from mileage.claims import review
from mileage.clock import SEOUL, seoul_today
from mileage.db import run_in_transaction
from mileage.models import Cause, Donation, ExpiryDonationChoice
from tests.support.factories import Factories
from tests.support.qr import read_one_qr_code

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
        review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
        make.credit(card, 9845)
        user = make.user(role="volunteer", username="browser.volunteer", password=PASSWORD,
                         volunteer_id=card.volunteer_id)
        return SimpleNamespace(card_id=card.id, number=card.number, username=user.username)

    return run_in_transaction(live_server.session_factory, seed)


def sign_in(page, live_server, volunteer, query: str = "", section: str = ""):
    page.goto(live_server.base_url + "/m" + query + (f"#{section}" if section else ""))
    page.fill("#username", volunteer.username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")


def api_balance(page) -> int:
    """Ask the API, with the page's own sign-in (its refresh cookie), what the card holds."""
    return page.evaluate(
        """async () => {
            const renewed = await fetch("/auth/session/refresh", {method: "POST"});
            const token = (await renewed.json()).access_token;
            const response = await fetch("/me/card", {headers: {Authorization: "Bearer " + token}});
            return (await response.json()).balance;
        }"""
    )


def end_her_sign_ins(live_server, volunteer) -> int:
    from mileage.models import User
    from mileage.people import authentication

    def end(session):
        user_id = session.scalar(select(User.id).where(User.username == volunteer.username))
        return authentication.end_sign_ins(session, user_id, actor=SYSTEM_ACTOR)

    return run_in_transaction(live_server.session_factory, end)


def scanned_qr(page) -> str:
    """Screenshot the QR on the page, as a shop's scanner would see it, and decode it."""
    image = page.locator("#qr")
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    image.evaluate("img => img.decode()")
    return read_one_qr_code(page.locator("#qr").screenshot())


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
    page.click(".tab[data-section=history]")
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


def test_an_expired_access_token_is_renewed_with_the_refresh_cookie(live_server, page, volunteer):
    sign_in(page, live_server, volunteer)
    expect(page.locator("#balance")).to_have_text("12,345점")
    refused = {"done": False}

    def expire_once(route):
        if refused["done"]:
            return route.continue_()
        refused["done"] = True
        route.fulfill(status=401, content_type="application/json",
                      body='{"code": "token_expired", "status": 401, "message": "expired"}')

    page.route("**/me/card", expire_once)
    page.click(".tab[data-section=donate]")
    page.click("#donate-start")
    expect(page.locator("#donate-available")).to_contain_text("12,345")
    assert refused["done"]
    expect(page.locator("#login")).to_be_hidden()


def test_a_dead_sign_in_returns_to_the_login_form_with_a_reason(live_server, page, volunteer):
    sign_in(page, live_server, volunteer)
    expect(page.locator("#balance")).to_have_text("12,345점")
    end_her_sign_ins(live_server, volunteer)  # as staff do from the console
    page.reload()
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-error")).to_have_text("로그인이 만료되었습니다. 다시 로그인하세요.")
    expect(page.locator("#app")).to_be_hidden()


# --- donating and expiring points -----------------------------------------------------------

_donors = itertools.count(1)


@pytest.fixture
def donor(live_server):
    """A volunteer of their own with 5,000 points (1,200 credited almost five years ago, so they expire
    in 30 days), and an open cause."""

    def seed(session):
        make = Factories(session)
        card = make.card()
        expiring_on = seoul_today() + timedelta(days=30)
        credited = datetime.combine(expiring_on.replace(year=expiring_on.year - 5), time(12), tzinfo=SEOUL)
        with mock.patch("mileage.ledger.posting.utc_now", return_value=credited):
            make.credit(card, 1200)
        make.credit(card, 3800)
        cause = make.cause(name=f"노원 푸드뱅크 {next(_donors)}", receiving_organisation="노원구 사회복지협의회")
        user = make.user(role="volunteer", username=f"browser.donor{cause.id}", password=PASSWORD,
                         volunteer_id=card.volunteer_id)
        return SimpleNamespace(volunteer_id=card.volunteer_id, username=user.username, cause_id=cause.id,
                               cause_name=cause.name, expiring_on=expiring_on)

    return run_in_transaction(live_server.session_factory, seed)


def cause_balance(live_server, cause_id: int) -> int:
    with live_server.session_factory() as session:
        return ledger.get_balance(session, session.get(Cause, cause_id).account_id)


def donations_of(live_server, volunteer_id: int) -> list[tuple[str, int, int]]:
    with live_server.session_factory() as session:
        found = session.scalars(select(Donation).where(Donation.volunteer_id == volunteer_id).order_by(Donation.id))
        return [(donation.receipt_number, donation.cause_id, donation.points) for donation in found]


def donation_keys(page) -> list[str]:
    """Record the Idempotency-Key of every donation the page sends."""
    keys = []
    page.on("request", lambda request: keys.append(request.headers.get("idempotency-key"))
            if request.method == "POST" and request.url.endswith("/me/donations") else None)
    return keys


def choose_cause_and_points(page, donor, typed: str):
    page.click("#donate-start")
    page.locator("#causes label", has_text=donor.cause_name).click()
    page.fill("#donate-points", "")
    page.locator("#donate-points").press_sequentially(typed)
    page.click("#donate-next")


def test_volunteer_donates_to_a_cause_and_gets_a_receipt(live_server, page, donor):
    keys = donation_keys(page)
    before = cause_balance(live_server, donor.cause_id)
    sign_in(page, live_server, donor, section="donate")
    expect(page.locator("#balance")).to_have_text("5,000점")

    page.click("#donate-start")
    expect(page.locator("#donate-available")).to_have_text("사용 가능한 잔액 5,000점")
    page.locator("#causes label", has_text=donor.cause_name).click()
    page.locator("#donate-points").press_sequentially("12.5")
    page.click("#donate-next")
    expect(page.locator("#donate-error")).to_have_text("포인트는 1 이상의 정수로 입력하세요.")
    page.fill("#donate-points", "")
    page.locator("#donate-points").press_sequentially("5001")
    expect(page.locator("#donate-points")).to_have_value("5,001")
    page.click("#donate-next")
    expect(page.locator("#donate-error")).to_have_text("잔액보다 많이 기부할 수 없습니다. (잔액 5,000점)")
    page.fill("#donate-points", "")
    page.locator("#donate-points").press_sequentially("1234")
    expect(page.locator("#donate-points")).to_have_value("1,234")
    page.click("#donate-next")

    expect(page.locator("#confirm-cause")).to_have_text(donor.cause_name)
    expect(page.locator("#confirm-points")).to_have_text("1,234점")
    expect(page.locator("#confirm-balance-after")).to_have_text("3,766점")
    assert donations_of(live_server, donor.volunteer_id) == []  # nothing is given before the confirmation
    page.click("#donate-submit")

    expect(page.locator("#donate-receipt")).to_be_visible()
    [(receipt_number, cause_id, points)] = donations_of(live_server, donor.volunteer_id)
    assert (cause_id, points) == (donor.cause_id, 1234)
    expect(page.locator("#receipt-number")).to_have_text(receipt_number)
    assert re.fullmatch(r"D-\d{4}-\d{6,}", receipt_number)
    expect(page.locator("#receipt-cause")).to_have_text(donor.cause_name)
    expect(page.locator("#receipt-points")).to_have_text("1,234점")
    expect(page.locator("#receipt-balance")).to_have_text("3,766점")
    expect(page.locator("#balance")).to_have_text("3,766점")
    assert api_balance(page) == 3766
    latest = page.locator("#history .history-row").first
    expect(latest).to_contain_text("기부")
    expect(latest).to_contain_text("\u22121,234")
    assert cause_balance(live_server, donor.cause_id) == before + 1234
    assert len(keys) == 1 and keys[0]


def test_a_donation_whose_answer_was_lost_is_retried_with_the_same_key_and_made_once(live_server, page, donor):
    keys = donation_keys(page)
    answers = []

    def lose_the_first_answer(route):
        if answers:
            route.continue_()
            return
        answers.append(route.fetch())  # the server donates...
        route.abort("connectionreset")  # ...but the phone never hears back

    page.route("**/me/donations", lose_the_first_answer)
    before = cause_balance(live_server, donor.cause_id)
    sign_in(page, live_server, donor, section="donate")
    expect(page.locator("#balance")).to_have_text("5,000점")
    choose_cause_and_points(page, donor, "700")
    page.click("#donate-submit")
    expect(page.locator("#donate-confirm-error")).to_have_text("서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요.")
    expect(page.locator("#donate-submit")).to_have_text("다시 시도")
    assert answers[0].status == 201

    page.click("#donate-submit")
    expect(page.locator("#receipt-balance")).to_have_text("4,300점")
    [(receipt_number, _, _)] = donations_of(live_server, donor.volunteer_id)
    expect(page.locator("#receipt-number")).to_have_text(receipt_number)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert cause_balance(live_server, donor.cause_id) == before + 700

    # A new donation of the same amount is a new attempt with a new key: it is made too.
    page.click("#donate-done")
    choose_cause_and_points(page, donor, "700")
    page.click("#donate-submit")
    expect(page.locator("#receipt-balance")).to_have_text("3,600점")
    assert len(keys) == 3 and keys[2] != keys[0]
    assert [points for _, _, points in donations_of(live_server, donor.volunteer_id)] == [700, 700]
    assert cause_balance(live_server, donor.cause_id) == before + 1400


def test_expiring_points_are_shown_and_can_be_donated_instead(live_server, page, donor):
    sign_in(page, live_server, donor, section="donate")
    when = donor.expiring_on
    expect(page.locator("#expiry-summary")).to_contain_text("1,200점이 소멸될 예정입니다.")
    rows = page.locator("#expiry .expiry-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"{when.year}년 {when.month}월 {when.day}일")
    expect(rows.first).to_contain_text("1,200점")
    expect(page.locator("#expiry-rule")).to_contain_text("5년")

    page.select_option("#expiry-donation-cause", label=donor.cause_name)
    page.click("#expiry-donation-form button[type=submit]")
    expect(page.locator("#expiry-donation-ok")).to_be_visible()
    expect(page.locator("#expiry-donation-state")).to_have_text(f"소멸될 포인트는 {donor.cause_name}에 기부됩니다.")
    with live_server.session_factory() as session:
        assert session.get(ExpiryDonationChoice, donor.volunteer_id).cause_id == donor.cause_id

    page.reload()
    expect(page.locator("#expiry-donation-cause")).to_have_value(str(donor.cause_id))
    page.select_option("#expiry-donation-cause", value="")
    page.click("#expiry-donation-form button[type=submit]")
    expect(page.locator("#expiry-donation-ok")).to_be_visible()
    expect(page.locator("#expiry-donation-state")).to_have_text("")
    with live_server.session_factory() as session:
        assert session.get(ExpiryDonationChoice, donor.volunteer_id) is None


def test_the_donation_and_expiry_read_in_english(live_server, page, donor):
    sign_in(page, live_server, donor, "?lang=en", section="donate")
    expect(page.locator("#expiry-summary")).to_contain_text("1,200 points will expire by")
    page.click("#donate-start")
    expect(page.locator("#donate-available")).to_have_text("Available balance: 5,000 points")
    page.locator("#causes label", has_text=donor.cause_name).click()
    page.locator("#donate-points").press_sequentially("2500")
    expect(page.locator("#donate-points")).to_have_value("2,500")
    page.click("#donate-next")
    expect(page.locator("#confirm-balance-after")).to_have_text("2,500 points")
    page.click("#donate-submit")
    expect(page.locator("#donate-receipt h3")).to_have_text("Donation receipt")
    expect(page.locator("#balance")).to_have_text("2,500 points")
