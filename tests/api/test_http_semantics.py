"""HTTP as POS stacks expect it: 401 with a challenge, keys quoted or bare, retention published, strict queries."""

from __future__ import annotations

from mileage.http.idempotency import IDEMPOTENCY_RETENTION_SECONDS


def test_a_missing_or_bad_token_is_401_with_a_challenge(client):
    missing = client.get("/me/card")
    assert missing.status_code == 401 and missing.json["code"] == "token_missing"
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="mileage"'
    forged = client.get("/me/card", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401 and forged.json["code"] == "token_invalid"
    assert forged.headers["WWW-Authenticate"] == 'Bearer realm="mileage", error="invalid_token"'


def test_the_shop_api_offers_both_of_its_schemes(client):
    answer = client.get("/merchant/me")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="mileage", Terminal realm="mileage"'


def test_unknown_query_parameters_are_refused_where_a_schema_reads_the_query(client, login_as):
    _, headers = login_as("staff")
    answer = client.get("/admin/reports/liability?format=csv", headers=headers)
    assert answer.status_code == 422 and answer.json["code"] == "validation_failed"
    assert "format" in answer.json["errors"]
    assert client.get("/admin/reports/liability", headers=headers).status_code == 200
    misspelt = client.get("/admin/claims?stat=submitted", headers=headers)
    assert misspelt.status_code == 422 and "stat" in misspelt.json["errors"]


def test_a_query_string_is_refused_where_the_view_reads_none(client, login_as):
    _, headers = login_as("volunteer")
    refused = client.get("/me/card?volunteer_id=7", headers=headers)
    assert refused.status_code == 422
    assert refused.json["errors"] == {"volunteer_id": ["여기에 쓰지 않는 항목입니다. 빼고 보내세요."]}
    assert client.get("/me/card", headers=headers).status_code == 200


def test_the_retention_of_keys_is_in_the_answer(client, login_as, make, session):
    _, headers = login_as("staff")
    claim = make.claim()
    session.flush()
    answer = client.post(f"/admin/claims/{claim.id}/approve", headers={**headers, "Idempotency-Key": '"ap-1"'})
    assert answer.status_code == 200
    assert answer.headers["Idempotency-Key-Retention"] == str(IDEMPOTENCY_RETENTION_SECONDS) == "2592000"
    replay = client.post(f"/admin/claims/{claim.id}/approve", headers={**headers, "Idempotency-Key": "ap-1"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json == answer.json
    assert "Idempotency-Key-Retention" not in client.get("/admin/claims", headers=headers).headers
