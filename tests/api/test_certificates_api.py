"""Certificates of hours over HTTP: the volunteer issues and prints one, staff too, anyone verifies it."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.clock import seoul_today
from mileage.models import Volunteer
from tests.api.console_client import ConsoleClient, text_of
from tests.support.qr import read_one_qr_code, read_qr_codes


def approved_hours(make, session, volunteer_id, minutes=150):
    claim = make.claim(volunteer=session.get(Volunteer, volunteer_id), minutes=minutes)
    return review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)


def period() -> dict:
    return {"period_start": (seoul_today() - timedelta(days=30)).isoformat(), "period_end": seoul_today().isoformat()}


def test_a_volunteer_issues_prints_and_anyone_verifies_a_certificate(client, make, session, login_as):
    user, headers = login_as("volunteer")
    approved_hours(make, session, user.volunteer_id)
    issued = client.post("/me/certificates", json=period(), headers=headers)
    assert issued.status_code == 201, issued.json
    serial = issued.json["serial"]
    assert (issued.json["state"], issued.json["total_minutes"]) == ("valid", 150)

    page = client.get(issued.json["print_url"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "자원봉사 활동 확인서" in html and serial in html and "2시간 30분" in html
    qr_png = re.search(r'src="data:image/png;base64,([^"]+)"', html)[1]
    assert read_one_qr_code(base64.b64decode(qr_png)).endswith(f"/verify/{serial}")

    verification = client.get(f"/certificates/{serial}/verification")
    assert verification.status_code == 200
    assert set(verification.json) == {"serial", "holder", "period_start", "period_end", "total_minutes", "issued_on",
                                      "state", "valid", "superseded_by"}
    verify_page = client.get(f"/verify/{serial}")
    assert "유효한 확인서입니다." in text_of(verify_page)
    assert client.get("/verify/VC-2026-XXXXX-XXXXX").status_code == 404
    assert client.get("/me/certificates", headers=headers).json["items"][0]["serial"] == serial


def test_a_print_link_without_its_token_or_for_another_serial_is_refused(client, make, session, login_as):
    user, headers = login_as("volunteer")
    approved_hours(make, session, user.volunteer_id)
    issued = client.post("/me/certificates", json=period(), headers=headers).json
    serial = issued["serial"]
    assert client.get(f"/certificates/{serial}/print").status_code == 401
    other_user, other_headers = login_as("volunteer")
    approved_hours(make, session, other_user.volunteer_id)
    other = client.post("/me/certificates", json=period(), headers=other_headers).json
    token = other["print_url"].split("token=")[1]
    assert client.get(f"/certificates/{serial}/print?token={token}").status_code == 401


def test_staff_issue_a_certificate_from_the_console_and_it_opens_for_printing(client, make, session):
    volunteer = make.card(volunteer=make.volunteer(name="강도윤")).volunteer
    approved_hours(make, session, volunteer.id, minutes=60)
    console = ConsoleClient(client)
    console.login(make.user(role="staff"))
    detail = console.get(f"/console/volunteers/{volunteer.id}")
    assert "자원봉사 확인서" in text_of(detail)
    issued = console.post("/console/certificates/", {"volunteer_id": str(volunteer.id), **period()})
    assert issued.status_code == 303 and "/print?token=" in issued.headers["Location"]
    page = client.get(issued.headers["Location"])
    assert "강도윤" in page.get_data(as_text=True) and "1시간" in page.get_data(as_text=True)


def test_the_same_certificate_downloads_as_a_pdf_in_korean_with_its_qr(client, make, session, login_as, tmp_path):
    import subprocess

    user, headers = login_as("volunteer")
    approved_hours(make, session, user.volunteer_id, minutes=95)
    issued = client.post("/me/certificates", json=period(), headers=headers).json
    page = client.get(issued["print_url"]).get_data(as_text=True)
    pdf_url = re.search(r'id="pdf-link" href="([^"]+)"', page)[1].replace("&amp;", "&")
    pdf = client.get(pdf_url)
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf") and pdf.data.startswith(b"%PDF")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    holder = session.get(Volunteer, user.volunteer_id).name
    assert "자원봉사 활동 확인서" in text and issued["serial"] in text and holder in text and "1시간 35분" in text
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
                   check=True, timeout=60)
    (png,) = tmp_path.glob("p*.png")
    assert [url for url in read_qr_codes(png) if url.endswith(f"/verify/{issued['serial']}")]
    assert client.get(pdf_url.split("?")[0]).status_code == 401
