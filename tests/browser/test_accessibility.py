"""Every main screen of the three pages: no serious or critical axe-core violation, and a screenshot of it.

axe-core runs inside the page (the copy the axe-playwright-python wheel ships); nothing is fetched.
The screenshots land in artifacts/screenshots for people to look at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import design_problems, save_screenshot, serious_accessibility_violations
from tests.browser.test_counter_page import seed_counter, sign_in_at_the_counter, volunteer_qr_token
from tests.browser.test_volunteer_page_defects import PASSWORD
from tests.browser.test_volunteer_page_defects import people as people  # noqa: PLC0414 (the module's fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def counter(live_server):
    return seed_counter(live_server)


def assert_accessible(page, name: str, *, min_target: int | None = 44) -> None:
    save_screenshot(page, name)
    violations = serious_accessibility_violations(page)
    assert violations == [], f"{name}: {violations}"
    problems = design_problems(page, min_target=min_target)
    assert problems == [], f"{name}: {problems}"


@pytest.fixture
def tablet(browser):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_the_counter_screens(tablet, live_server, counter):
    page = tablet
    page.goto(live_server.base_url + "/counter")
    expect(page.locator("#login")).to_be_visible()
    assert_accessible(page, "counter-1-sign-in")

    token = volunteer_qr_token(page, live_server, counter)
    sign_in_at_the_counter(page, live_server, counter)
    page.keyboard.type(counter.printed_number)
    page.keyboard.press("Enter")
    page.keyboard.type("30000")
    expect(page.locator("#pin-pad")).to_be_visible()
    assert_accessible(page, "counter-2-pin-pad")

    page.click("#scan")
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    expect(page.locator("#preview-card")).to_contain_text("모바일 QR")
    page.click("#confirm")
    expect(page.locator("#receipt")).to_be_visible()
    page.click("#today-list li .refund-button")
    assert_accessible(page, "counter-3-receipt-and-refund")


@pytest.mark.parametrize("section", ["card", "history", "claims", "donate", "settings"])
def test_the_phone_sections(page, live_server, people, section):
    page.goto(live_server.base_url + "/m")
    expect(page.locator("#login")).to_be_visible()
    if section == "card":
        assert_accessible(page, "phone-0-sign-in")
    page.fill("#username", people.username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#balance")).not_to_have_text("\u00a0")
    page.evaluate(f"location.hash = '#{section}'")
    expect(page.locator(f"#section-{section}")).to_be_visible()
    page.wait_for_timeout(500)
    assert_accessible(page, f"phone-{section}")


def test_the_console_screens(browser, live_server):
    from mileage.db import run_in_transaction
    from tests.support.factories import Factories

    def seed(session):
        make = Factories(session)
        make.user(role="admin", username="a11y.admin", password=PASSWORD)
        organisation = make.organisation(name="접근성 점검 기관")
        claims = [make.claim(organisation=organisation, minutes=60) for _ in range(3)]
        return organisation.id, claims[0].id

    organisation_id, claim_id = run_in_transaction(live_server.session_factory, seed)
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    base = live_server.base_url
    try:
        page.goto(f"{base}/console/login")
        assert_accessible(page, "console-0-sign-in", min_target=None)
        page.get_by_label("아이디").fill("a11y.admin")
        page.get_by_label("비밀번호").fill(PASSWORD)
        page.get_by_role("button", name="로그인").click()
        page.wait_for_url(f"{base}/console/")
        assert_accessible(page, "console-dashboard", min_target=None)
        page.goto(f"{base}/console/claims/?organisation_id={organisation_id}")
        assert_accessible(page, "console-queue", min_target=None)
        page.locator("#approve-matching").click()
        expect(page.locator("#confirm-summary")).to_be_visible()
        assert_accessible(page, "console-confirm", min_target=None)
        page.locator("#confirm-approve").click()
        expect(page.locator("#bulk-summary")).to_be_visible()
        assert_accessible(page, "console-results", min_target=None)
        page.goto(f"{base}/console/claims/{claim_id}")
        assert_accessible(page, "console-claim", min_target=None)
        page.goto(f"{base}/console/users/")
        assert_accessible(page, "console-users", min_target=None)
        page.goto(f"{base}/console/account/password")
        assert_accessible(page, "console-password", min_target=None)
    finally:
        context.close()
