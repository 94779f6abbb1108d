"""The staff API for users: admins change them, auditors read them, passwords and hashes never leave."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def test_an_admin_creates_a_coordinator_and_the_answer_has_no_secret(client, admin, make):
    _, headers = admin
    place = make.organisation()
    response = client.post("/admin/users", json={
        "username": "Coord.Kim", "password": "long-enough-pw", "role": "coordinator", "organisation_id": place.id,
    }, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["username"] == "coord.kim" and response.json["organisation_id"] == place.id
    assert "long-enough-pw" not in response.text and "argon2" not in response.text
    assert "password_hash" not in response.json and "password" not in response.json


def test_a_coordinator_without_an_organisation_is_refused_in_korean(client, admin):
    _, headers = admin
    response = client.post("/admin/users", json={
        "username": "coord.lee", "password": "long-enough-pw", "role": "coordinator",
    }, headers=headers)
    assert response.status_code == 422 and response.json["code"] == "user_link_required"
    assert response.json["message"] == "기관 담당자 계정에는 기관 연결이 필요합니다."
    assert client.get("/admin/users?search=coord.lee", headers=headers).json["items"] == []


def test_an_unknown_organisation_is_a_404_not_a_500(client, admin):
    _, headers = admin
    response = client.post("/admin/users", json={
        "username": "coord.lee", "password": "long-enough-pw", "role": "coordinator", "organisation_id": 999_999,
    }, headers=headers)
    assert response.status_code == 404 and response.json["code"] == "organisation_not_found"


def test_staff_and_auditors_cannot_change_users(client, login_as, make):
    target = make.user(role="staff")
    for role in ("staff", "auditor"):
        _, headers = login_as(role)
        assert client.post(f"/admin/users/{target.id}/disable", headers=headers).status_code == 403
    _, auditor = login_as("auditor")
    assert client.get(f"/admin/users/{target.id}", headers=auditor).json["is_active"] is True


def test_a_reset_shows_the_generated_password_once_and_forces_a_change(client, admin, make):
    _, headers = admin
    user = make.user(role="staff", password="original-password")
    reset = client.post(f"/admin/users/{user.id}/password-reset", json={}, headers=headers)
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    temporary = reset.json["temporary_password"]
    assert reset.json["user"]["must_change_password"] is True
    assert "temporary_password" not in client.get(f"/admin/users/{user.id}", headers=headers).json

    refused = client.post("/auth/token", json={"username": user.username, "password": temporary})
    assert refused.status_code == 403 and refused.json["code"] == "password_change_required"
    changed = client.post("/auth/password", json={
        "username": user.username, "current_password": temporary, "new_password": "brand-new-password",
    })
    assert changed.status_code == 204
    signed_in = client.post("/auth/token", json={"username": user.username, "password": "brand-new-password"})
    assert signed_in.status_code == 200


def test_a_wrong_current_password_cannot_change_a_password(client, make):
    user = make.user(role="staff", password="original-password")
    response = client.post("/auth/password", json={
        "username": user.username, "current_password": "wrong-password", "new_password": "brand-new-password",
    })
    assert response.status_code == 401 and response.json["code"] == "invalid_credentials"


def test_an_admin_disables_and_changes_roles(client, admin, make):
    me, headers = admin
    user = make.user(role="staff", password="original-password")
    moved = client.put(f"/admin/users/{user.id}/role", json={"role": "auditor"}, headers=headers)
    assert moved.json["role"] == "auditor"
    disabled = client.post(f"/admin/users/{user.id}/disable", headers=headers)
    assert disabled.status_code == 200 and disabled.json["is_active"] is False
    signed_in = client.post("/auth/token", json={"username": user.username, "password": "original-password"})
    assert signed_in.status_code == 401
    own = client.post(f"/admin/users/{me.id}/disable", headers=headers)
    assert own.status_code == 403 and own.json["code"] == "cannot_change_own_account"
    listed = client.get("/admin/users?active=false", headers=headers).json["items"]
    assert [item["id"] for item in listed] == [user.id]
