"""Site kiosk API: a coordinator or a site device scans the QR from /m to check in and out."""

from __future__ import annotations

from sqlalchemy import select

from mileage.models import Claim


def volunteer_qr(client, login, volunteer_user) -> str:
    response = client.get("/me/card/qr", headers=login(volunteer_user))
    assert response.status_code == 200
    return response.json["token"]


def test_a_coordinator_checks_a_volunteer_in_and_out_with_the_qr_from_their_phone(client, make, login, login_as,
                                                                                   session):
    coordinator, headers = login_as("coordinator")
    card = make.card(volunteer=make.volunteer(name="박지훈"))
    volunteer = make.user(role="volunteer", volunteer_id=card.volunteer_id)

    checked_in = client.post("/site/scans", json={"scanned": volunteer_qr(client, login, volunteer),
                                                  "category": "환경"}, headers=headers)
    assert checked_in.status_code == 200, checked_in.json
    assert checked_in.json["action"] == "check_in"
    assert checked_in.json["visit"]["holder_name"] == "박*훈"
    assert checked_in.json["message"].startswith("박*훈님, 출석했습니다")

    listed = client.get("/site/visits", headers=headers).json["items"]
    assert [(v["state"], v["category"]) for v in listed] == [("open", "환경")]


def test_a_replayed_token_is_refused_in_korean_and_a_forged_one_too(client, make, login, login_as):
    _coordinator, headers = login_as("coordinator")
    volunteer = make.user(role="volunteer", volunteer_id=make.card().volunteer_id)
    token = volunteer_qr(client, login, volunteer)
    assert client.post("/site/scans", json={"scanned": token, "category": "복지"}, headers=headers).status_code == 200
    again = client.post("/site/scans", json={"scanned": token}, headers=headers)
    assert (again.status_code, again.json["code"]) == (409, "qr_token_replayed")
    assert again.json["message"] == "이미 사용된 QR 코드입니다. 새 QR 코드를 보여 주세요."
    forged = client.post("/site/scans", json={"scanned": token[:-4] + "AAAA"}, headers=headers)
    assert (forged.status_code, forged.json["code"]) == (422, "qr_token_invalid")
    english = client.post("/site/scans", json={"scanned": "garbage"}, headers={**headers, "Accept-Language": "en"})
    assert english.json["message"] == "This QR code is not valid."


def test_a_site_device_signs_in_scans_only_for_its_organisation_and_stops_when_revoked(client, make, login_as,
                                                                                        session):
    coordinator, headers = login_as("coordinator")
    created = client.post("/site/devices", json={"name": "정문 태블릿"}, headers=headers)
    assert created.status_code == 201
    device, secret = created.json["device"], created.json["secret"]
    assert device["organisation_id"] == coordinator.organisation_id
    assert "secret" not in client.get("/site/devices", headers=headers).json["items"][0]

    token = client.post("/site/auth/token", json={"key_id": device["key_id"], "secret": secret})
    assert token.status_code == 200
    device_headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    card = make.card()
    scanned = client.post("/site/scans", json={"scanned": card.number, "category": "복지"}, headers=device_headers)
    assert scanned.json["visit"]["organisation_id"] == coordinator.organisation_id
    # The device may scan; it may not submit claims, upload files or correct times.
    assert client.post("/admin/claims", json={}, headers=device_headers).json["code"] == "role_not_allowed"
    assert client.post(f"/site/visits/{scanned.json['visit']['id']}/correction",
                       json={"start_time": "09:00", "end_time": "10:00"}, headers=device_headers).status_code == 403
    other = make.organisation()
    refused = client.post("/site/scans", json={"scanned": card.number, "organisation_id": other.id},
                          headers=device_headers)
    assert (refused.status_code, refused.json["code"]) == (403, "not_owner")

    assert client.post(f"/site/devices/{device['id']}/revoke", headers=headers).status_code == 200
    after = client.get("/site/visits", headers=device_headers)
    assert (after.status_code, after.json["code"]) == (401, "site_device_revoked")
    wrong = client.post("/site/auth/token", json={"key_id": device["key_id"], "secret": secret})
    assert (wrong.status_code, wrong.json["code"]) == (401, "site_device_revoked")


def test_another_coordinator_cannot_see_or_correct_the_visits(client, make, login_as, session):
    _coordinator, headers = login_as("coordinator")
    _other, other_headers = login_as("coordinator")
    card = make.card()
    visit = client.post("/site/scans", json={"scanned": card.number, "category": "복지"}, headers=headers).json["visit"]
    assert client.get("/site/visits", headers=other_headers).json["items"] == []
    refused = client.post(f"/site/visits/{visit['id']}/correction", json={"start_time": "09:00", "end_time": "10:00"},
                          headers=other_headers)
    assert (refused.status_code, refused.json["code"]) == (404, "site_visit_not_found")
    assert session.scalar(select(Claim).where(Claim.volunteer_id == card.volunteer_id)) is None


def test_the_kiosk_page_is_korean_first_and_loads_nothing_from_elsewhere(client):
    page = client.get("/site")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="ko">' in html and "현장 출석 체크" in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "Site check-in" in client.get("/site?lang=en").get_data(as_text=True)


def test_scans_are_rate_limited_per_caller_like_the_counters(client, login_as):
    _coordinator, headers = login_as("coordinator")
    answers = [client.post("/site/scans", json={"scanned": f"guess-{n}"}, headers=headers).status_code
               for n in range(61)]
    assert answers[:60] == [422] * 60
    assert answers[60] == 429
