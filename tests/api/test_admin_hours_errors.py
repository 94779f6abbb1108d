"""Staff hours API: every failure gets the one error envelope, never a 500."""

import pytest
from sqlalchemy import func, select

from mileage.models import Claim, Volunteer

ENVELOPE_KEYS = {"code", "status", "message", "errors", "request_id"}


@pytest.fixture
def staff_headers(login_as):
    return login_as("staff")[1]


def assert_envelope(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) == ENVELOPE_KEYS
    assert body["status"] == status and body["code"] == code
    assert body["message"] and body["request_id"] == response.headers["X-Request-ID"]
    return body


def volunteer_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Volunteer))


def test_bad_json_is_refused_with_the_envelope(client, session, staff_headers):
    before = volunteer_count(session)
    response = client.post("/admin/volunteers", data='{"name": "김민수", "phone": ', headers=staff_headers,
                           content_type="application/json")
    assert_envelope(response, 400, "malformed_json")
    assert volunteer_count(session) == before


def test_missing_fields_get_per_field_messages(client, staff_headers):
    body = assert_envelope(client.post("/admin/volunteers", json={}, headers=staff_headers), 422, "validation_failed")
    assert set(body["errors"]) == {"name", "phone"}
    # Korean by default, like the message: never marshmallow's English.
    assert body["errors"]["name"] == ["필수 입력 항목입니다."]
    english = client.post("/admin/volunteers", json={}, headers={**staff_headers, "Accept-Language": "en"}).json
    assert english["errors"]["name"] == ["This field is required."]


def test_wrong_types_get_per_field_messages(client, session, staff_headers):
    response = client.post(
        "/admin/claims",
        json={"volunteer_id": "7", "organisation_id": 1.5, "date": "어제", "start": "9시", "end": True,
              "category": ""},
        headers={**staff_headers, "Accept-Language": "en"},
    )
    body = assert_envelope(response, 422, "validation_failed")
    assert body["message"] == "Please check the input."
    assert set(body["errors"]) == {"volunteer_id", "organisation_id", "date", "start", "end", "category"}
    assert body["errors"]["start"] == ["Use HH:MM (00:00-24:00) or minutes since midnight (0-1440)."]
    assert session.scalar(select(func.count()).select_from(Claim)) == 0


@pytest.mark.parametrize("value", ["24:01", "12:60", "-1:00", 1441, -5, "0900", 9.5])
def test_times_outside_one_day_are_refused(client, make, staff_headers, value):
    card = make.card()
    response = client.post(
        "/admin/claims",
        json={"volunteer_id": card.volunteer_id, "organisation_id": 1, "date": "2025-01-01", "start": value,
              "end": "23:00", "category": "복지"},
        headers=staff_headers,
    )
    body = assert_envelope(response, 422, "validation_failed")
    assert list(body["errors"]) == ["start"]


def test_unknown_fields_are_refused(client, staff_headers):
    response = client.patch("/admin/volunteers/1", json={"balance": 1_000_000}, headers=staff_headers)
    body = assert_envelope(response, 422, "validation_failed")
    assert body["errors"] == {"balance": ["여기에 쓰지 않는 항목입니다. 빼고 보내세요."]}


def test_a_json_list_instead_of_an_object(client, staff_headers):
    response = client.post("/admin/organisations", json=["노원구"], headers=staff_headers)
    assert_envelope(response, 422, "validation_failed")


def test_too_large_body_is_413(client, session, staff_headers):
    padding = "가" * client.application.config["MAX_CONTENT_LENGTH"]
    response = client.post("/admin/organisations", json={"name": "큰 기관", "address": padding}, headers=staff_headers)
    assert_envelope(response, 413, "payload_too_large")


def test_unknown_route_and_wrong_method(client, staff_headers):
    assert_envelope(client.get("/admin/no-such-thing", headers=staff_headers), 404, "not_found")
    wrong = client.delete("/admin/claims", headers=staff_headers)
    assert_envelope(wrong, 405, "method_not_allowed")
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert_envelope(client.put("/admin/volunteers", json={}, headers=staff_headers), 405, "method_not_allowed")


def test_a_non_numeric_id_in_the_path_is_a_routing_404(client, staff_headers):
    assert_envelope(client.get("/admin/volunteers/abc", headers=staff_headers), 404, "not_found")


def test_no_token_is_401_token_missing(client):
    assert_envelope(client.get("/admin/claims"), 401, "token_missing")
