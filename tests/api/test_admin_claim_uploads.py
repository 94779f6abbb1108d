"""Staff hours API: a spreadsheet upload is previewed, then confirmed once; the .xlsx template."""

import io
from datetime import time, timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from mileage.clock import seoul_today
from mileage.models import AuditEvent, Claim


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["카드번호", "날짜", "시작", "종료", "분야", "비고"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def post_upload(client, headers, data: bytes, **params):
    return client.post(
        "/admin/claims/uploads", query_string=params, data={"file": (io.BytesIO(data), "봉사시간.xlsx")},
        headers=headers, content_type="multipart/form-data",
    )


def claim_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Claim))


def test_a_coordinator_previews_then_confirms_an_xlsx_of_their_own_organisation(client, session, make, login_as):
    user, headers = login_as("coordinator")
    card = make.card()
    yesterday = seoul_today() - timedelta(days=1)
    data = xlsx([
        [card.number, yesterday, time(9), time(12), "복지", "도시락 배달"],
        [card.number, yesterday, "오후 1:00", "오후 6:30", "복지", "6시간 넘음"],
    ])
    before = claim_count(session)
    preview = post_upload(client, headers, data)
    assert preview.status_code == 201, preview.json
    body = preview.json
    assert (body["state"], body["file_format"], body["ok"], body["errors"], body["created"]) == (
        "previewed", "xlsx", 1, 1, 1
    )
    assert body["rows"][0]["start_time"] == "09:00" and body["rows"][0]["claim_id"] is None
    assert body["rows"][1]["messages"][0]["code"] == "claim_exceeds_daily_limit"
    assert "8시간" in body["rows"][1]["messages"][0]["message"]
    assert claim_count(session) == before

    confirmed = client.post(f"/admin/claims/uploads/{body['upload_id']}/confirm", headers=headers)
    assert confirmed.status_code == 200
    assert (confirmed.json["state"], confirmed.json["created"], confirmed.json["replayed"]) == ("confirmed", 1, False)
    claim = session.get(Claim, confirmed.json["rows"][0]["claim_id"])
    assert (claim.organisation_id, claim.state) == (user.organisation_id, "submitted")
    assert claim.submitted_by_user_id == user.id

    again = client.post(f"/admin/claims/uploads/{body['upload_id']}/confirm", headers=headers)
    assert again.json["replayed"] is True and again.json["rows"] == confirmed.json["rows"]
    assert claim_count(session) == before + 1
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "claim_import")).all()
    assert actions == ["claims.upload_preview", "claims.upload_confirm"]


def test_messages_follow_the_callers_language(client, make, login_as):
    _user, headers = login_as("staff")
    place = make.organisation()
    data = xlsx([["1234", seoul_today(), "09:00", "10:00", "복지", ""]])
    body = post_upload(client, {**headers, "Accept-Language": "en"}, data, organisation_id=place.id).json
    assert body["rows"][0]["messages"][0]["message"] == "The card number is not valid."


def test_another_coordinator_cannot_confirm_or_see_an_upload(client, make, login_as):
    _user, headers = login_as("coordinator")
    _other, other_headers = login_as("coordinator")
    body = post_upload(client, headers, xlsx([[make.card().number, seoul_today(), "09:00", "10:00", "복지", ""]])).json
    refused = client.post(f"/admin/claims/uploads/{body['upload_id']}/confirm", headers=other_headers)
    assert (refused.status_code, refused.json["code"]) == (404, "claim_import_not_found")


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_korean(client, make, login_as):
    _user, headers = login_as("staff")
    response = post_upload(client, headers, b"PK\x03\x04garbage", organisation_id=make.organisation().id)
    assert (response.status_code, response.json["code"]) == (422, "import_workbook_unreadable")
    assert response.json["message"].startswith("엑셀 파일을 읽을 수 없습니다")


def test_the_template_downloads_as_xlsx_with_a_text_card_number_column(client, login_as):
    _user, headers = login_as("coordinator")
    response = client.get("/admin/claims/uploads/template.xlsx", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [cell.value for cell in sheet[1]][:4] == ["카드번호", "1365 ID", "이름", "연락처"]
    assert sheet["A2"].number_format == "@" and sheet["A500"].number_format == "@"
