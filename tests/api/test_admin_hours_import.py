"""Staff hours API: uploading a CSV of claims (Korean, UTF-8 and CP949) and its per-row report."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mileage.clock import seoul_today
from mileage.models import AuditEvent, Claim

KOREAN_HEADER = ["카드번호", "이름", "기관ID", "날짜", "시작", "종료", "분야", "비고"]


def days_ago(days: int) -> str:
    return (seoul_today() - timedelta(days=days)).isoformat()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    """Write rows the way Excel does: CRLF line ends, quotes only where needed."""
    lines = []
    for row in rows:
        lines.append(",".join(f'"{cell}"' if "," in cell else cell for cell in row))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, headers, data: bytes, filename: str = "봉사시간.csv", **params):
    return client.post(
        "/admin/claims/import",
        query_string=params,
        data={"file": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def claims_of(session, volunteer):
    return list(session.scalars(select(Claim).where(Claim.volunteer_id == volunteer.id).order_by(Claim.id)))


@pytest.fixture
def staff(login_as):
    return login_as("staff")


@pytest.fixture
def place(make):
    return make.organisation(name="상계 종합사회복지관")


@pytest.fixture
def people(make, place):
    """Two volunteers with cards; 김민수 already has a claim from 14:00 to 16:00 two days ago."""
    minsu = make.card(volunteer=make.volunteer(name="김민수"))
    seoyeon = make.card(volunteer=make.volunteer(name="이서연"))
    make.claim(volunteer=minsu.volunteer, organisation=place, work_date=seoul_today() - timedelta(days=2),
               start_minute=14 * 60, minutes=120)
    return minsu, seoyeon


def mixed_rows(minsu, seoyeon, place) -> list[list[str]]:
    """Good, bad and duplicate rows, in Korean; the expected outcome is noted per row."""
    org = str(place.id)
    return [
        KOREAN_HEADER,
        [minsu.number, "김민수", org, days_ago(1), "09:00", "12:00", "복지", "어르신 도시락 배달"],  # 2 ok
        [seoyeon.number, "이서연", org, days_ago(1), "10:00", "11:30", "환경", "하천 정화, 쓰레기 줍기"],  # 3 ok
        [minsu.number, "김민수", org, days_ago(1), "09:00", "12:00", "복지", "같은 행을 두 번"],  # 4 duplicate
        [seoyeon.number, "이서연", org, "2025-13-01", "09:00", "10:00", "교육", ""],  # 5 bad date
        [seoyeon.number, "이서연", org, days_ago(3), "25:00", "26:00", "교육", ""],  # 6 bad time
        ["", "", "", "", "", "", "", ""],  # 7 blank: skipped
        [minsu.number, "김민수", org, days_ago(2), "15:00", "17:00", "복지", "기존 신청과 겹침"],  # 8 overlap
        [seoyeon.number, "박지훈", org, days_ago(4), "09:00", "10:00", "복지", ""],  # 9 wrong name
        [seoyeon.number, "이서연", org, days_ago(5), "09:00", "10:00", "", ""],  # 10 no category
        ["9410 0000 0000 0000", "", org, days_ago(5), "09:00", "10:00", "복지", ""],  # 11 bad card number
        [seoyeon.number, "이서연", org, days_ago(-1), "09:00", "10:00", "복지", ""],  # 12 future
    ]


EXPECTED = [
    (2, True, None),
    (3, True, None),
    (4, False, "claim_overlaps"),
    (5, False, "import_value_invalid"),
    (6, False, "import_value_invalid"),
    (8, False, "claim_overlaps"),
    (9, False, "volunteer_name_mismatch"),
    (10, False, "import_value_missing"),
    (11, False, "invalid_card_number"),
    (12, False, "claim_in_future"),
]


def outcome(report):
    return [(row["row"], row["ok"], row["error"] and row["error"]["code"]) for row in report["rows"]]


@pytest.mark.parametrize("encoding, expected_encoding", [("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig"),
                                                         ("cp949", "cp949")])
def test_import_creates_the_good_rows_and_reports_the_bad_ones(client, session, staff, people, place, encoding,
                                                                expected_encoding):
    minsu, seoyeon = people
    response = upload(client, staff[1], csv_bytes(mixed_rows(minsu, seoyeon, place), encoding))
    assert response.status_code == 200, response.json
    report = response.json
    assert report["encoding"] == expected_encoding
    assert outcome(report) == EXPECTED
    assert (report["total_rows"], report["created"], report["failed"]) == (10, 2, 8)

    # Only the good rows exist, with their Korean text intact whatever the file's encoding.
    created = {row["row"]: row["claim_id"] for row in report["rows"] if row["ok"]}
    minsu_claims = claims_of(session, minsu.volunteer)
    assert [(c.work_date.isoformat(), c.start_minute, c.note) for c in minsu_claims] == [
        (days_ago(2), 14 * 60, ""),
        (days_ago(1), 9 * 60, "어르신 도시락 배달"),
    ]
    assert minsu_claims[1].id == created[2]
    [seoyeon_claim] = claims_of(session, seoyeon.volunteer)
    assert seoyeon_claim.id == created[3]
    assert (seoyeon_claim.category, seoyeon_claim.note, seoyeon_claim.minutes) == ("환경", "하천 정화, 쓰레기 줍기", 90)
    assert seoyeon_claim.submitted_by_user_id == staff[0].id and seoyeon_claim.state == "submitted"


def test_row_errors_say_which_column_in_the_callers_language(client, staff, people, place):
    minsu, seoyeon = people
    data = csv_bytes(mixed_rows(minsu, seoyeon, place))
    korean = {row["row"]: row["error"] for row in upload(client, staff[1], data).json["rows"] if not row["ok"]}
    assert korean[5]["message"] == "'날짜(date)' 값을 읽을 수 없습니다: 2025-13-01"
    assert korean[10]["message"] == "'분야(category)' 값이 비어 있습니다."
    assert korean[5]["status"] == 422
    english = upload(client, {**staff[1], "Accept-Language": "en"}, data).json["rows"]
    assert english[3]["error"]["message"] == "The '날짜(date)' value cannot be read: 2025-13-01"


def test_uploading_the_same_file_twice_creates_nothing_the_second_time(client, session, staff, people, place):
    minsu, seoyeon = people
    rows = mixed_rows(minsu, seoyeon, place)[:3]
    first = upload(client, staff[1], csv_bytes(rows)).json
    second = upload(client, staff[1], csv_bytes(rows)).json
    assert first["created"] == 2
    assert second["created"] == 0
    assert [row["error"]["code"] for row in second["rows"]] == ["claim_overlaps", "claim_overlaps"]
    assert session.scalar(select(func.count()).select_from(Claim)) == 3


def test_english_headers_volunteer_ids_and_a_default_organisation(client, session, staff, people, place):
    minsu, seoyeon = people
    rows = [
        ["Volunteer ID", "Date", "Start", "End", "Category", "Note", "Shift lead"],
        [str(seoyeon.volunteer_id), days_ago(1), "9:00", "10:00", "education", "reading club", "Park"],
        [str(minsu.volunteer_id), days_ago(1).replace("-", "."), "18:00", "24:00", "care", "", ""],
        ["abc", days_ago(1), "9:00", "10:00", "care", "", ""],
        ["424242", days_ago(1), "9:00", "10:00", "care", "", ""],
    ]
    response = upload(client, staff[1], csv_bytes(rows), organisation_id=place.id)
    assert response.status_code == 200, response.json
    assert outcome(response.json) == [
        (2, True, None), (3, True, None), (4, False, "import_value_invalid"), (5, False, "volunteer_not_found")
    ]
    late = claims_of(session, minsu.volunteer)[-1]
    assert (late.organisation_id, late.start_minute, late.end_minute) == (place.id, 18 * 60, 24 * 60)


def test_a_coordinator_imports_for_their_own_organisation_only(client, session, make, login_as, people, place):
    minsu, seoyeon = people
    other = make.organisation()
    user, headers = login_as("coordinator", organisation_id=place.id)
    rows = [
        ["카드번호", "날짜", "시작", "종료", "분야", "기관ID"],
        [seoyeon.number, days_ago(1), "09:00", "10:00", "복지", ""],
        [seoyeon.number, days_ago(1), "11:00", "12:00", "복지", str(place.id)],
        [seoyeon.number, days_ago(1), "13:00", "14:00", "복지", str(other.id)],
    ]
    response = upload(client, headers, csv_bytes(rows))
    assert outcome(response.json) == [(2, True, None), (3, True, None), (4, False, "not_owner")]
    assert {c.organisation_id for c in claims_of(session, seoyeon.volunteer)} == {place.id}

    elsewhere = upload(client, headers, csv_bytes(rows[:2]), organisation_id=other.id)
    assert elsewhere.status_code == 403 and elsewhere.json["code"] == "not_owner"

    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "claims.import")).all()
    assert event.actor_user_id == user.id and event.actor_role == "coordinator"
    assert event.target_id == "봉사시간.csv"
    assert (event.after["rows"], event.after["created"], event.after["failed"]) == (3, 2, 1)
    assert len(event.after["claim_ids"]) == 2
    submitted = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "claim.submit", AuditEvent.actor_user_id == user.id)
    ).all()
    assert sorted(int(e.target_id) for e in submitted) == sorted(event.after["claim_ids"])


def test_staff_need_an_organisation_column_or_a_default(client, staff, people):
    minsu, _ = people
    rows = [["카드번호", "날짜", "시작", "종료"], [minsu.number, days_ago(1), "09:00", "10:00"]]
    response = upload(client, staff[1], csv_bytes(rows))
    assert response.status_code == 422 and response.json["code"] == "import_columns_missing"
    assert response.json["message"] == "CSV 파일에 필요한 열이 없습니다: 분야(category), 기관ID(organisation_id)"


@pytest.mark.parametrize(
    "data, code",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "import_file_unreadable"),
        ("카드번호,날짜,시작,종료,분야\r\n".encode(), "import_file_empty"),
        (b"", "import_file_empty"),
        (b"\r\n,,,\r\n", "import_file_empty"),
    ],
)
def test_unusable_files_are_refused_whole(client, session, staff, data, code):
    response = upload(client, staff[1], data)
    assert response.status_code == 422 and response.json["code"] == code
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "claims.import")) is None


def test_the_file_part_is_required(client, staff):
    response = client.post("/admin/claims/import", data={"other": "x"}, headers=staff[1],
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.json["errors"]


def test_a_file_over_the_body_limit_is_413(client, staff, people):
    minsu, _ = people
    data = b"x" * (client.application.config["MAX_CONTENT_LENGTH"] + 1)
    # Encoded in memory: the test client would spool a body this big to a file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), "big.csv")})
    response = client.post("/admin/claims/import", data=body, headers=staff[1],
                           content_type=f'multipart/form-data; boundary="{boundary}"')
    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large" and response.json["message"] == "요청 본문이 너무 큽니다."


@pytest.mark.parametrize("role", ["auditor", "volunteer"])
def test_auditors_and_volunteers_cannot_import(client, session, login_as, people, place, role):
    minsu, seoyeon = people
    _, headers = login_as(role)
    response = upload(client, headers, csv_bytes(mixed_rows(minsu, seoyeon, place)[:2]))
    assert response.status_code == 403 and response.json["code"] == "role_not_allowed"
    assert session.scalar(select(func.count()).select_from(Claim)) == 1


def test_a_retried_upload_with_an_idempotency_key_replays_the_first_report(client, session, staff, people, place):
    minsu, seoyeon = people
    # A retry resends the same bytes: the same multipart boundary too.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(csv_bytes(mixed_rows(minsu, seoyeon, place)[:3])),
                                                           "june.csv")})
    headers = {**staff[1], "Idempotency-Key": "upload-2025-06"}

    def send():
        return client.post("/admin/claims/import", data=body, headers=headers,
                           content_type=f'multipart/form-data; boundary="{boundary}"')

    first, retry = send(), send()
    assert first.status_code == retry.status_code == 200
    assert first.json["created"] == 2
    assert retry.headers.get("Idempotent-Replayed") == "true" and retry.json == first.json
    assert session.scalar(select(func.count()).select_from(Claim)) == 3
