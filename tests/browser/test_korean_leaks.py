"""In Chromium, with Korean selected: /counter, /m and /console (as staff, admin and auditor), after their
scripts ran, show no English word, snake_case identifier or raw state value (tests/support/leaks.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.claims import review
from mileage.clock import seoul_today
from mileage.db import run_in_transaction
from mileage.donations import donate
from tests.support.factories import Factories
from tests.support.leaks import english_leaks

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
PIN = "2468"
# Everything a person reads: the rendered text, and what screen readers and tooltips say; records and
# codes shown on purpose are marked translate="no".
READ_PAGE = """() => {
    let text = document.body.innerText;
    for (const element of document.querySelectorAll('[translate="no"]')) text = text.replace(element.innerText, " ");
    const said = [];
    for (const element of document.querySelectorAll("[aria-label], [placeholder], [title], [alt]")) {
        for (const name of ["aria-label", "placeholder", "title", "alt"]) {
            if (element.getAttribute(name)) said.push(element.getAttribute(name));
        }
    }
    return text + "\\n" + said.join("\\n");
}"""


@dataclass
class World:
    key_id: str
    secret: str
    printed_number: str
    lost_number: str
    volunteer_username: str
    usernames: tuple[str, ...]


@pytest.fixture(scope="module")
def world(live_server) -> World:
    """A volunteer with approved hours, a donation and a PIN card; a lost card; a shop; claims in every state."""

    def seed(session):
        make = Factories(session)
        organisation = make.organisation(name="노원 어린이도서관")
        card = make.card(pin=PIN)
        for days, minutes in ((1, 240), (2, 300)):
            claim = make.claim(volunteer=card.volunteer, organisation=organisation, minutes=minutes,
                               work_date=seoul_today() - timedelta(days=days))
            review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
        rejected = make.claim(volunteer=card.volunteer, organisation=organisation, minutes=60,
                              work_date=seoul_today() - timedelta(days=3))
        review.reject_claim(session, rejected.id, actor=SYSTEM_ACTOR, reason="활동 확인서 누락")
        make.claim(volunteer=card.volunteer, organisation=organisation, minutes=90,
                   work_date=seoul_today() - timedelta(days=4))
        cause = make.cause(name="노원 푸드뱅크")
        donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=100)
        lost = make.card()
        lifecycle.report_lost(session, lost.id, actor=SYSTEM_ACTOR)
        offer = {"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000}
        shop = make.merchant(name="상계 행복베이커리", offer=offer)
        credentials = make.terminal(shop)
        volunteer_user = make.user(role="volunteer", username="leak.volunteer", password=PASSWORD,
                                   volunteer_id=card.volunteer_id)
        staff = [make.user(role=role, username=f"leak.{role}", password=PASSWORD, display_name="김담당")
                 for role in ("staff", "admin", "auditor")]
        return World(credentials.terminal.key_id, credentials.secret, card.number, lost.number,
                     volunteer_user.username, (volunteer_user.username, *(user.username for user in staff)))

    return run_in_transaction(live_server.session_factory, seed)


def leaks_on(page, world: World) -> list[str]:
    return english_leaks(page.evaluate(READ_PAGE).replace("English", ""), names=world.usernames)


def test_the_counter_speaks_korean_through_a_sale_and_its_refusals(page, live_server, world):
    page.goto(live_server.base_url + "/counter")
    assert leaks_on(page, world) == []
    page.fill("#key-id", world.key_id)
    page.fill("#secret", world.secret)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app", state="visible")

    page.fill("#amount", "20000")
    page.fill("#scan", world.printed_number)
    page.press("#scan", "Enter")
    page.wait_for_selector("#pin-pad", state="visible")
    # The pad's backspace key included: its name is read out in Korean.
    assert page.get_attribute("#pin-back", "aria-label") == "마지막 숫자 지우기"
    assert leaks_on(page, world) == []
    for digit in PIN:
        page.click(f".key[data-digit='{digit}']")
    page.click("#confirm")
    page.wait_for_selector("#receipt", state="visible")
    assert leaks_on(page, world) == []

    if page.is_visible("#new-sale"):
        page.click("#new-sale")
    page.fill("#amount", "20000")
    page.fill("#scan", world.lost_number)
    page.press("#scan", "Enter")
    page.wait_for_selector("#sale-error", state="visible")
    error = page.inner_text("#sale-error")
    assert "분실 신고된 카드" in error and "lost" not in error
    assert leaks_on(page, world) == []


def test_the_volunteers_page_speaks_korean_with_a_real_history(page, live_server, world):
    page.goto(live_server.base_url + "/m")
    page.fill("#username", world.volunteer_username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(".tab[data-section=history]")
    page.wait_for_timeout(300)
    assert leaks_on(page, world) == []
    # The page shows one section at a time (issue 14): read each of them.
    page.click(".tab[data-section=history]")
    page.wait_for_selector("#history li")
    page.wait_for_timeout(300)
    text = page.inner_text("#history")
    # The donation's memo, rendered from its parameters (and the counter's sale, when that test ran first).
    assert "노원 푸드뱅크에 기부" in text
    assert leaks_on(page, world) == []
    for section in ("claims", "settings"):
        page.click(f".tab[data-section={section}]")
        page.wait_for_timeout(300)
        assert leaks_on(page, world) == [], section
    page.click(".tab[data-section=donate]")
    page.click("#donate-start")
    assert leaks_on(page, world) == []


@pytest.mark.parametrize("role", ["staff", "admin", "auditor"])
def test_every_console_page_speaks_korean_to_each_role(page, live_server, world, role):
    base = live_server.base_url
    page.goto(f"{base}/console/login")
    page.get_by_label("아이디").fill(f"leak.{role}")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(f"{base}/console/")
    paths = [link.get_attribute("href") for link in page.locator("nav a").all()]
    volunteers = page.request.get(f"{base}/console/volunteers/")
    assert volunteers.ok
    paths += ["/console/claims/?state=approved", "/console/claims/?state=rejected", "/console/volunteers/1",
              "/console/reports/?report=settlement", "/console/reports/?report=hours", "/console/no-such-page"]
    leaks = {}
    for path in dict.fromkeys(paths):
        page.goto(base + path)
        found = leaks_on(page, world)
        if found:
            leaks[path] = found
    assert leaks == {}
