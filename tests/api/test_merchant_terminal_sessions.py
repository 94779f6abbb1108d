"""The counter page's terminal session: an httpOnly cookie instead of the secret, rotated, revocable by staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mileage.models import AuditEvent

COOKIE = "mileage_counter_session"
OFFER = {"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000}


@pytest.fixture
def terminal(make):
    return make.terminal(make.merchant(offer=OFFER))


def start(client, terminal, session="remember"):
    return client.post("/merchant/auth/token", json={
        "key_id": terminal.terminal.key_id, "secret": terminal.secret, "session": session,
    })


def session_cookie(client):
    cookie = client.get_cookie(COOKIE, path="/merchant/auth")
    return cookie.value if cookie else None


def test_a_kept_session_is_an_http_only_strict_cookie_scoped_to_the_sign_in_routes(client, terminal):
    answer = start(client, terminal)
    assert answer.status_code == 200 and answer.json["access_token"]
    header = answer.headers["Set-Cookie"]
    assert header.startswith(COOKIE + "=")
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/merchant/auth" in header
    assert "Max-Age=2592000" in header
    assert terminal.secret not in header


def test_a_browser_session_ends_with_the_browser(client, terminal):
    header = start(client, terminal, session="browser").headers["Set-Cookie"]
    assert "Max-Age" not in header and "Expires" not in header


def test_a_pos_client_gets_no_cookie(client, terminal):
    answer = client.post("/merchant/auth/token", json={"key_id": terminal.terminal.key_id, "secret": terminal.secret})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers


def test_refresh_gives_a_working_token_and_rotates_the_cookie(client, terminal):
    start(client, terminal)
    first = session_cookie(client)
    answer = client.post("/merchant/auth/refresh")
    assert answer.status_code == 200, answer.json
    assert answer.json["terminal_id"] == terminal.terminal.id
    second = session_cookie(client)
    assert second and second != first
    me = client.get("/merchant/me", headers={"Authorization": "Bearer " + answer.json["access_token"]})
    assert me.status_code == 200


def test_a_copied_cookie_replayed_after_rotation_ends_the_whole_session(app, client, terminal):
    start(client, terminal)
    copied = session_cookie(client)
    assert client.post("/merchant/auth/refresh").status_code == 200
    thief = app.test_client()
    thief.set_cookie(COOKIE, copied, path="/merchant/auth")
    replay = thief.post("/merchant/auth/refresh")
    assert replay.status_code == 401 and replay.json["code"] == "refresh_token_reused"
    # The legitimate page's successor ends with it.
    again = client.post("/merchant/auth/refresh")
    assert again.status_code == 401 and again.json["code"] == "token_revoked"


def test_sign_out_ends_the_session_everywhere(app, client, terminal):
    start(client, terminal)
    copied = session_cookie(client)
    assert client.post("/merchant/auth/sign-out").status_code == 204
    assert session_cookie(client) is None
    thief = app.test_client()
    thief.set_cookie(COOKIE, copied, path="/merchant/auth")
    assert thief.post("/merchant/auth/refresh").status_code == 401


def test_no_cookie_or_a_forged_one_is_refused(app, client, terminal):
    refused = client.post("/merchant/auth/refresh")
    assert refused.status_code == 422 and refused.json["code"] == "no_terminal_session"
    client.set_cookie(COOKIE, "1.not-the-secret", path="/merchant/auth")
    assert client.post("/merchant/auth/refresh").status_code == 401
    client.set_cookie(COOKIE, "garbage", path="/merchant/auth")
    assert client.post("/merchant/auth/refresh").status_code == 401


def test_staff_end_a_terminals_sessions_and_it_is_audited(client, terminal, login_as, session):
    start(client, terminal)
    _, staff = login_as("staff")
    ended = client.post(f"/admin/terminals/{terminal.terminal.id}/sessions/end", headers=staff)
    assert ended.status_code == 200 and ended.json == {"ended": 1}
    assert client.post("/merchant/auth/refresh").status_code == 401
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "terminal.end_sessions"))
    assert event is not None and event.target_id == str(terminal.terminal.id)
    assert event.after["ended"] == 1


def test_an_auditor_cannot_end_sessions(client, terminal, login_as):
    _, auditor = login_as("auditor")
    assert client.post(f"/admin/terminals/{terminal.terminal.id}/sessions/end", headers=auditor).status_code == 403


@pytest.mark.parametrize("action", ["rotate", "revoke"])
def test_rotating_or_revoking_the_terminal_ends_its_sessions(client, terminal, login_as, action):
    start(client, terminal)
    _, staff = login_as("staff")
    assert client.post(f"/admin/terminals/{terminal.terminal.id}/{action}", headers=staff).status_code == 200
    assert client.post("/merchant/auth/refresh").status_code == 401
