"""Sign-in, token rotation, logout, attempt limits and token attacks."""

import base64
import json
from datetime import timedelta

import jwt
import pytest

from mileage.people.tokens import Principal, TokenSigner


@pytest.fixture
def staff(make):
    return make.user(role="staff", username="kim.staff", password="correct-horse-battery")


def sign_in(client, username="kim.staff", password="correct-horse-battery", **headers):
    return client.post("/auth/token", json={"username": username, "password": password}, headers=headers)


def test_sign_in_returns_tokens_that_open_protected_routes(client, staff):
    response = sign_in(client)
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["role"] == "staff" and body["expires_in"] == 900
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json["user_id"] == staff.id and me.json["role"] == "staff"


def test_wrong_password_and_unknown_user_get_the_same_answer(client, staff):
    wrong = sign_in(client, password="nope-nope-nope")
    unknown = sign_in(client, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["code"] == unknown.json["code"] == "invalid_credentials"
    assert wrong.json["message"] == "아이디 또는 비밀번호가 올바르지 않습니다."


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_sign_in(client, staff):
    first = sign_in(client).json
    second = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]

    replayed = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replayed.status_code == 401 and replayed.json["code"] == "refresh_token_reused"
    # The thief's replay also kills the legitimate successor.
    successor = client.post("/auth/refresh", json={"refresh_token": second.json["refresh_token"]})
    assert successor.status_code == 401 and successor.json["code"] == "token_revoked"


def test_logout_revokes_the_refresh_token(client, staff):
    pair = sign_in(client).json
    assert client.post("/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    again = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401 and again.json["code"] == "token_revoked"


def test_repeated_failed_sign_ins_get_429_with_retry_after(client, staff):
    statuses = [sign_in(client, password=f"wrong-password-{n}").status_code for n in range(5)]
    assert statuses == [401] * 5
    blocked = sign_in(client)  # even the right password waits now
    assert blocked.status_code == 429
    assert blocked.json["code"] == "too_many_requests"
    assert int(blocked.headers["Retry-After"]) > 0


def test_successful_sign_ins_do_not_count_toward_the_limit(client, staff):
    assert all(sign_in(client).status_code == 200 for _ in range(8))


def _forge(payload: dict, header: dict) -> str:
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(payload)}."


@pytest.mark.parametrize("attack", ["alg_none", "wrong_key", "tampered", "expired", "refresh_as_access", "garbage"])
def test_token_attacks_are_refused(app, client, staff, attack):
    signer = app.extensions["mileage.token_signer"]
    principal = Principal.of_user(staff)
    claims = {"sub": principal.scope, **principal.claims(), "jti": "x", "iat": 1, "typ": "access", "exp": 4102444800}
    if attack == "alg_none":
        token = _forge(claims, {"alg": "none", "typ": "JWT"})
    elif attack == "wrong_key":
        token = jwt.encode(claims, "another-key-of-at-least-32-bytes!!", algorithm="HS256")
    elif attack == "tampered":
        header, payload, signature = signer.sign({"sub": principal.scope, "role": "volunteer"}, token_type="access",
                                                 ttl=timedelta(minutes=5)).split(".")
        payload = base64.urlsafe_b64encode(json.dumps({**claims, "role": "admin"}).encode()).decode().rstrip("=")
        token = f"{header}.{payload}.{signature}"
    elif attack == "expired":
        token = TokenSigner(signer.key).sign(principal.claims() | {"sub": principal.scope}, token_type="access",
                                             ttl=timedelta(seconds=-10))
    elif attack == "refresh_as_access":
        token = sign_in(client).json["refresh_token"]
    else:
        token = "not-a-token"
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["code"] == ("token_expired" if attack == "expired" else "token_invalid")


def test_missing_token_is_401_with_envelope(client):
    response = client.get("/auth/me", headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.json["code"] == "token_missing"
    assert response.json["message"].startswith("Authentication is required")


def test_a_disabled_users_access_token_stops_working_at_once(client, session, make, staff):
    from mileage.audit import SYSTEM_ACTOR
    from mileage.people import users

    headers = {"Authorization": f"Bearer {sign_in(client).json['access_token']}"}
    assert client.get("/admin/volunteers", headers=headers).status_code == 200
    users.disable_user(session, staff.id, actor=SYSTEM_ACTOR)
    refused = client.get("/admin/volunteers", headers=headers)
    assert (refused.status_code, refused.json["code"]) == (401, "token_revoked")


def test_an_access_token_of_the_old_role_stops_working_once_the_role_changes(client, session, make, staff):
    from mileage.audit import SYSTEM_ACTOR
    from mileage.people import users

    headers = {"Authorization": f"Bearer {sign_in(client).json['access_token']}"}
    users.set_role(session, staff.id, "auditor", actor=SYSTEM_ACTOR)
    refused = client.post("/admin/organisations", json={"name": "노원 복지관"}, headers=headers)
    assert (refused.status_code, refused.json["code"]) == (401, "token_revoked")
    again = client.get("/admin/volunteers", headers={"Authorization": f"Bearer {sign_in(client).json['access_token']}"})
    assert again.status_code == 200  # signing in again gives a token of the role held now
