"""Hours from the field in headless Chromium: the site kiosk with a QR read off the volunteer's phone,
the console's spreadsheet upload, and a certificate printed to PDF whose QR opens its verification."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import urllib.request
from datetime import datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import select

from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.clock import SEOUL, seoul_today
from mileage.db import run_in_transaction
from mileage.models import Claim, SiteVisit
from tests.support.factories import Factories
from tests.support.qr import read_one_qr_code, read_qr_codes

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def people(live_server):
    """A coordinator of an organisation, a staff member, and a volunteer who signs in on /m."""

    def seed(session):
        make = Factories(session)
        place = make.organisation(name="상계 노인복지관")
        card = make.card(volunteer=make.volunteer(name="김민수"))
        claim = make.claim(volunteer=card.volunteer, organisation=place, minutes=150,
                           work_date=seoul_today() - timedelta(days=3))
        review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
        make.user(role="coordinator", username="field.coordinator", password=PASSWORD, organisation_id=place.id)
        make.user(role="staff", username="field.staff", password=PASSWORD)
        make.user(role="volunteer", username="field.volunteer", password=PASSWORD, volunteer_id=card.volunteer_id)
        return SimpleNamespace(organisation_id=place.id, volunteer_id=card.volunteer_id, number=card.number)

    return run_in_transaction(live_server.session_factory, seed)


def phone_qr(page) -> str:
    """Screenshot the QR on the volunteer's page, as the site's scanner would see it, and decode it."""
    image = page.locator("#qr")
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    image.evaluate("img => img.decode()")
    return read_one_qr_code(image.screenshot())


def seoul(hour: int, minute: int = 0) -> datetime:
    today = seoul_today()
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=SEOUL)


def test_site_kiosk_checks_in_and_out_with_the_qr_from_the_volunteers_phone(live_server, browser, people):
    phone = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844}).new_page()
    kiosk = browser.new_context(locale="ko-KR", viewport={"width": 1024, "height": 768}).new_page()
    try:
        phone.goto(live_server.base_url + "/m")
        phone.fill("#username", "field.volunteer")
        phone.fill("#password", PASSWORD)
        phone.click("#login-form button[type=submit]")
        first = phone_qr(phone)

        kiosk.goto(live_server.base_url + "/site")
        expect(kiosk.locator("h1")).to_have_text("현장 출석 체크")
        kiosk.fill("#login-user", "field.coordinator")
        kiosk.fill("#login-secret", PASSWORD)
        kiosk.click("#login-button")
        kiosk.bring_to_front()
        kiosk.fill("#category", "환경")
        kiosk.press("#category", "Enter")
        # The scanner types the payload into the focused field and presses Enter. The clock is the
        # server's, so check-in and check-out happen at fixed Seoul times an hour and a half apart.
        with mock.patch("mileage.claims.visits.utc_now", return_value=seoul(10, 0)):
            expect(kiosk.locator("#scan")).to_be_focused()
            kiosk.keyboard.type(first)
            kiosk.keyboard.press("Enter")
            expect(kiosk.locator("#result")).to_contain_text("김*수님, 출석했습니다 (10:00)")
        expect(kiosk.locator("#visits li")).to_have_count(1)
        expect(kiosk.locator("#visits li")).to_contain_text("봉사 중")

        # The same code again is a replay, refused in Korean.
        kiosk.fill("#scan", first)
        kiosk.press("#scan", "Enter")
        expect(kiosk.locator("#result")).to_have_text("이미 사용된 QR 코드입니다. 새 QR 코드를 보여 주세요.")

        first_src = phone.get_attribute("#qr", "src")
        phone.click("#qr-refresh")
        expect(phone.locator("#qr")).not_to_have_attribute("src", first_src)
        second = phone_qr(phone)
        with mock.patch("mileage.claims.visits.utc_now", return_value=seoul(11, 30)):
            kiosk.fill("#scan", second)
            kiosk.press("#scan", "Enter")
            expect(kiosk.locator("#result")).to_contain_text("퇴실했습니다. 10:00–11:30 (1시간 30분)")
        expect(kiosk.locator("#visits li")).to_contain_text("퇴실·승인 대기")
    finally:
        phone.context.close()
        kiosk.context.close()

    with live_server.session_factory() as session:
        visit = session.scalars(select(SiteVisit).where(SiteVisit.volunteer_id == people.volunteer_id)).one()
        claim = session.get(Claim, visit.claim_id)
        assert (claim.state, claim.organisation_id, claim.start_minute, claim.end_minute, claim.category) == (
            "submitted", people.organisation_id, 600, 690, "환경"
        )


def test_staff_upload_an_xlsx_preview_every_row_and_confirm(live_server, page, people):
    day = seoul_today() - timedelta(days=2)
    book = Workbook()
    book.active.append(["카드번호", "기관ID", "날짜", "시작", "종료", "분야", "비고"])
    book.active.append([people.number, people.organisation_id, day, time(9), time(12), "복지", "도시락"])
    book.active.append([people.number, people.organisation_id, day.isoformat(), "오후 1:00", "오후 3:30", "복지", ""])
    book.active.append(["1234", people.organisation_id, day, time(9), time(10), "복지", ""])
    buffer = io.BytesIO()
    book.save(buffer)

    page.goto(live_server.base_url + "/console/login")
    page.get_by_label("아이디").fill("field.staff")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(live_server.base_url + "/console/")
    page.goto(live_server.base_url + "/console/uploads/")
    page.set_input_files("#u-file", files=[{"name": "봉사시간.xlsx", "buffer": buffer.getvalue(),
                                            "mimeType": "application/vnd.openxmlformats-officedocument"
                                                        ".spreadsheetml.sheet"}])
    page.click("#upload-preview")
    rows = page.locator("#upload-rows tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_attribute("data-status") for i in range(3)] == ["ok", "ok", "error"]
    expect(rows.nth(2)).to_contain_text("카드 번호가 올바르지 않습니다.")
    expect(page.locator("#upload-summary")).to_contain_text("3행 중 정상 2, 주의 0, 오류 1")
    with live_server.session_factory() as session:
        assert session.scalars(select(Claim).where(Claim.work_date == day)).all() == []

    page.click("#upload-confirm")
    expect(page.locator("#upload-summary")).to_contain_text("2건 등록")
    with live_server.session_factory() as session:
        claims = session.scalars(select(Claim).where(Claim.work_date == day).order_by(Claim.start_minute)).all()
        assert [(c.start_minute, c.end_minute, c.state) for c in claims] == [(540, 720, "submitted"),
                                                                            (780, 930, "submitted")]


def test_the_certificate_printed_to_pdf_carries_a_qr_that_opens_its_verification(live_server, page, people):
    page.goto(live_server.base_url + "/m")
    page.fill("#username", "field.volunteer")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.click("#tabs a[data-section=history]")  # 내역: the statement and the certificate of hours
    page.fill("#certificate-from", (seoul_today() - timedelta(days=30)).isoformat())
    page.click("#certificate-issue")
    expect(page.locator("#certificate-ok")).to_contain_text("확인서 VC-")
    page.goto(live_server.base_url + page.get_attribute("#certificate-link", "href"))
    expect(page.locator("h1")).to_have_text("자원봉사 활동 확인서")
    expect(page.locator("#holder")).to_have_text("김민수")
    serial = page.locator("#serial").inner_text()

    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "certificate.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(Path(folder) / "p")],
                       check=True, timeout=60)
        (png,) = Path(folder).glob("p*.png")
        urls = [text for text in read_qr_codes(png) if "/verify/" in text]
    assert urls == [f"{live_server.base_url}/verify/{serial}"]

    with urllib.request.urlopen(urls[0], timeout=10) as answer:
        html = answer.read().decode()
    assert answer.status == 200
    assert "유효한 확인서입니다." in html and serial in html and "김*수" in html and "김민수" not in html


def test_a_volunteer_submits_their_own_hours_on_the_phone(live_server, page, people):
    page.goto(live_server.base_url + "/m")
    page.fill("#username", "field.volunteer")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.click("#tabs a[data-section=claims]")  # 봉사 신청
    expect(page.locator("#own-claim-form")).to_be_visible()
    page.select_option("#own-claim-organisation", label="상계 노인복지관")
    day = seoul_today() - timedelta(days=5)
    page.fill("#own-claim-date", day.isoformat())
    page.fill("#own-claim-start", "14:00")
    page.fill("#own-claim-end", "16:15")
    page.fill("#own-claim-category", "복지")
    page.click("#own-claim-form button[type=submit]")
    expect(page.locator("#own-claim-ok")).to_contain_text("신청했습니다")
    with live_server.session_factory() as session:
        claim = session.scalars(select(Claim).where(Claim.work_date == day, Claim.start_minute == 840)).one()
        assert (claim.volunteer_id, claim.end_minute, claim.state) == (people.volunteer_id, 975, "submitted")
