"""ETag and If-Match: two staff editing one record cannot silently overwrite each other."""

from __future__ import annotations

import pytest


@pytest.fixture
def staff_headers(login_as):
    return login_as("staff")[1]


def _records(client, make, session, headers):
    volunteer = make.volunteer()
    cause = make.cause()
    shop = make.merchant()
    session.flush()
    return [
        (f"/admin/volunteers/{volunteer.id}", {"name": "한지민"}, {"name": "한지원"}),
        (f"/admin/merchants/{shop.id}", {"contact": "010-1111-2222"}, {"contact": "010-3333-4444"}),
        (f"/admin/causes/{cause.id}", {"description": "쌀 나눔"}, {"description": "연탄 나눔"}),
    ]


def test_every_patchable_record_has_an_etag_that_its_edit_changes(client, make, session, staff_headers):
    for url, first, _ in _records(client, make, session, staff_headers):
        read = client.get(url, headers=staff_headers)
        assert read.status_code == 200 and read.headers["ETag"].startswith('"'), url
        assert client.get(url, headers=staff_headers).headers["ETag"] == read.headers["ETag"]
        edited = client.patch(url, json=first, headers={**staff_headers, "If-Match": read.headers["ETag"]})
        assert edited.status_code == 200, (url, edited.json)
        assert edited.headers["ETag"] != read.headers["ETag"]
        assert client.get(url, headers=staff_headers).headers["ETag"] == edited.headers["ETag"]


def test_a_stale_if_match_is_412_and_changes_nothing(client, make, session, staff_headers):
    for url, first, second in _records(client, make, session, staff_headers):
        seen = client.get(url, headers=staff_headers).headers["ETag"]
        # Two staff read the same version; the first one saves.
        assert client.patch(url, json=first, headers={**staff_headers, "If-Match": seen}).status_code == 200
        after_first = client.get(url, headers=staff_headers)
        late = client.patch(url, json=second, headers={**staff_headers, "If-Match": seen})
        assert late.status_code == 412 and late.json["code"] == "precondition_failed", url
        again = client.get(url, headers=staff_headers)
        assert again.json == after_first.json and again.headers["ETag"] == after_first.headers["ETag"]


def test_if_match_star_and_lists_and_no_header_by_default(client, make, session, staff_headers):
    url, first, second = _records(client, make, session, staff_headers)[0]
    current = client.get(url, headers=staff_headers).headers["ETag"]
    assert client.patch(url, json=first, headers={**staff_headers, "If-Match": "*"}).status_code == 200
    current = client.get(url, headers=staff_headers).headers["ETag"]
    listed = client.patch(url, json=second, headers={**staff_headers, "If-Match": f'"stale", {current}'})
    assert listed.status_code == 200
    assert client.patch(url, json=first, headers=staff_headers).status_code == 200


def test_the_operator_may_require_if_match(app, client, make, session, staff_headers):
    app.config["REQUIRE_IF_MATCH"] = True
    url, first, _ = _records(client, make, session, staff_headers)[1]
    refused = client.patch(url, json=first, headers=staff_headers)
    assert refused.status_code == 428 and refused.json["code"] == "precondition_required"
    current = client.get(url, headers=staff_headers).headers["ETag"]
    assert client.patch(url, json=first, headers={**staff_headers, "If-Match": current}).status_code == 200


def test_the_document_declares_etag_and_if_match(shared_app):
    with shared_app.test_client() as client:
        paths = client.get("/openapi.json").json["paths"]
    for path in ("/admin/volunteers/{volunteer_id}", "/admin/merchants/{merchant_id}", "/admin/causes/{cause_id}"):
        patch = paths[path]["patch"]
        assert any((p["in"], p["name"]) == ("header", "If-Match") for p in patch["parameters"])
        assert patch["responses"]["412"]["x-error-codes"] == ["precondition_failed"]
        assert patch["responses"]["428"]["x-error-codes"] == ["precondition_required"]
        assert "ETag" in patch["responses"]["200"]["headers"]
        assert "ETag" in paths[path]["get"]["responses"]["200"]["headers"]
