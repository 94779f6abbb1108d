"""The volunteer's own claim form on /m: the options it needs, submitting, and the centre switching it off."""

from dataclasses import replace
from datetime import timedelta

from mileage.claims.rules import ClaimPolicy
from mileage.clock import seoul_today


def test_the_form_gets_organisations_and_a_submitted_claim_waits_for_staff(client, make, login_as):
    user, headers = login_as("volunteer")
    place = make.organisation(name="노원 푸드뱅크")
    options = client.get("/me/claim-options", headers=headers).json
    assert options["self_submission"] is True and options["max_minutes_per_day"] == 480
    assert {"id": place.id, "name": "노원 푸드뱅크"} in options["organisations"]
    claim = client.post("/me/claims", headers=headers, json={
        "organisation_id": place.id, "work_date": (seoul_today() - timedelta(days=1)).isoformat(),
        "start_time": "10:00", "end_time": "12:30", "category": "복지", "note": "배분 도움",
    })
    assert claim.status_code == 201 and claim.json["state"] == "submitted"
    _staff, staff_headers = login_as("staff")
    approved = client.post(f"/admin/claims/{claim.json['id']}/approve", headers=staff_headers)
    assert approved.json["state"] == "approved"


def test_where_the_rules_do_not_allow_it_the_form_says_so_and_submitting_is_refused(app, client, make, login_as):
    app.config["CLAIM_POLICY"] = replace(ClaimPolicy(), volunteers_may_self_submit=False)
    _user, headers = login_as("volunteer")
    assert client.get("/me/claim-options", headers=headers).json["self_submission"] is False
    refused = client.post("/me/claims", headers=headers, json={
        "organisation_id": make.organisation().id, "work_date": (seoul_today() - timedelta(days=1)).isoformat(),
        "start_time": "10:00", "end_time": "11:00", "category": "복지",
    })
    assert refused.json["code"] == "self_submission_disabled"


def test_the_mobile_page_has_the_claim_form_and_certificate_sections_in_korean(client):
    html = client.get("/m").get_data(as_text=True)
    assert "봉사시간 직접 신청" in html and "자원봉사 확인서" in html and "mobile-intake.js" in html
    assert "Claim hours yourself" in client.get("/m?lang=en").get_data(as_text=True)
