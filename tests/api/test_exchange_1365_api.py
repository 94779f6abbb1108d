"""Staff 1365 exchange API: export approved hours as a file, import a portal file once."""

import io
from datetime import timedelta

from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.clock import seoul_today


def test_staff_export_and_reimporting_the_same_file_changes_nothing(client, make, session, login_as):
    _staff, headers = login_as("staff")
    place = make.organisation(name="노원 장애인복지관")
    volunteer = make.card(volunteer=make.volunteer(name="김민수", portal_1365_id="minsu01")).volunteer
    claim = make.claim(volunteer=volunteer, organisation=place, work_date=seoul_today() - timedelta(days=2))
    review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    period = {"date_from": (seoul_today() - timedelta(days=7)).isoformat(), "date_to": seoul_today().isoformat()}

    exported = client.get("/admin/claims/exchange-1365/export", query_string=period, headers=headers)
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/csv; charset=cp949"
    assert exported.headers["X-Exported-Rows"] == "1"
    assert "minsu01" in exported.data.decode("cp949")

    # The claim is already on record: importing the portal's copy of it pays nothing twice.
    imported = client.post(
        "/admin/claims/exchange-1365/import", data={"file": (io.BytesIO(exported.data), "1365.csv")},
        headers=headers, content_type="multipart/form-data",
    )
    assert imported.status_code == 200
    assert (imported.json["approved"], imported.json["skipped"], imported.json["errors"]) == (0, 1, 0)
    assert imported.json["rows"][0]["messages"][0]["code"] == "already_recorded"


def test_a_coordinator_may_not_import_portal_hours(client, login_as):
    _coordinator, headers = login_as("coordinator")
    refused = client.post("/admin/claims/exchange-1365/import", data={"file": (io.BytesIO(b"x"), "1365.csv")},
                          headers=headers, content_type="multipart/form-data")
    assert (refused.status_code, refused.json["code"]) == (403, "role_not_allowed")
