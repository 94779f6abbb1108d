"""Staff console: upload a spreadsheet of hours, read the preview, confirm once, download the template."""

from __future__ import annotations

import io
import re
from datetime import time, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from mileage.clock import seoul_today
from mileage.models import Claim
from tests.api.console_client import ConsoleClient, text_of


@pytest.fixture
def console(client, make):
    console = ConsoleClient(client)
    console.staff = make.user(role="staff", username="park.staff")
    console.login(console.staff)
    return console


def workbook(rows) -> bytes:
    book = Workbook()
    book.active.append(["카드번호", "날짜", "시작", "종료", "분야"])
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def statuses(response) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-row="(\d+)" data-status="(\w+)"', response.get_data(as_text=True))


def test_preview_then_confirm_then_the_same_file_again_records_nothing_twice(console, make, session):
    card = make.card(volunteer=make.volunteer(name="정하늘"))
    place = make.organisation(name="중계 종합사회복지관")
    day = seoul_today() - timedelta(days=3)
    data = workbook([[card.number, day, time(10), time(12), "교육"], ["not-a-card", day, "10:00", "11:00", "교육"]])
    count = session.scalar(select(func.count()).select_from(Claim))

    preview = console.client.post(
        "/console/uploads/", data={"csrf_token": console.csrf(), "organisation_id": str(place.id),
                                   "file": (io.BytesIO(data), "hours.xlsx")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    assert statuses(preview) == [("2", "ok"), ("3", "error")]
    page = text_of(preview)
    assert "2행 중 정상 1, 주의 0, 오류 1" in page and "카드 번호가 올바르지 않습니다." in page
    assert session.scalar(select(func.count()).select_from(Claim)) == count
    upload_id = re.search(r'/console/uploads/(\d+)/confirm', preview.get_data(as_text=True))[1]

    confirmed = console.post(f"/console/uploads/{upload_id}/confirm")
    assert "1건 등록" in text_of(confirmed)
    assert session.scalar(select(func.count()).select_from(Claim)) == count + 1
    replayed = console.post(f"/console/uploads/{upload_id}/confirm")
    assert "이미 확인한 파일입니다" in text_of(replayed)

    second = console.client.post(
        "/console/uploads/", data={"csrf_token": console.csrf(), "organisation_id": str(place.id),
                                   "file": (io.BytesIO(data), "hours.xlsx")},
        content_type="multipart/form-data",
    )
    assert statuses(second) == [("2", "warning"), ("3", "error")]
    assert "이미 등록된 봉사시간입니다" in text_of(second)
    second_id = re.search(r'/console/uploads/(\d+)/confirm', second.get_data(as_text=True))[1]
    console.post(f"/console/uploads/{second_id}/confirm")
    assert session.scalar(select(func.count()).select_from(Claim)) == count + 1


def test_a_file_without_the_needed_columns_is_refused_on_the_form_page(console, make):
    response = console.client.post(
        "/console/uploads/", data={"csrf_token": console.csrf(), "_back": "/console/uploads/",
                                   "file": (io.BytesIO("이름\n김민수\n".encode()), "x.csv")},
        content_type="multipart/form-data", follow_redirects=True,
    )
    assert "필요한 열이 없습니다" in text_of(response)


def test_the_template_is_an_xlsx_with_a_text_card_number_column(console):
    response = console.get("/console/uploads/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet["A1"].value == "카드번호" and sheet["A2"].number_format == "@"


def test_an_auditor_sees_the_page_but_cannot_upload(client, make):
    console = ConsoleClient(client)
    console.login(make.user(role="auditor"))
    assert console.get("/console/uploads/").status_code == 200
    refused = console.client.post(
        "/console/uploads/", data={"csrf_token": console.csrf(), "file": (io.BytesIO(b"a"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403


def test_the_1365_export_downloads_and_its_import_pays_nothing_twice(console, make, session):
    from mileage.audit import SYSTEM_ACTOR
    from mileage.claims import review

    place = make.organisation(name="공릉 청소년문화의집")
    volunteer = make.card(volunteer=make.volunteer(name="조수아", portal_1365_id="sua1365")).volunteer
    claim = make.claim(volunteer=volunteer, organisation=place, work_date=seoul_today() - timedelta(days=4))
    review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    period = {"date_from": (seoul_today() - timedelta(days=10)).isoformat(), "date_to": seoul_today().isoformat()}
    exported = console.get("/console/uploads/1365/export", query_string=period)
    assert exported.status_code == 200 and "sua1365" in exported.data.decode("cp949")

    imported = console.client.post(
        "/console/uploads/1365/import",
        data={"csrf_token": console.csrf(), "file": (io.BytesIO(exported.data), "x.csv")},
        content_type="multipart/form-data",
    )
    assert "1행: 승인·적립 0, 이미 등록 1, 오류 0" in text_of(imported)
