"""What the phone page needs from the API: whether its QR was used, the month's statement, the reissue,
and a sign-in whose refresh token stays in an httpOnly cookie."""

from __future__ import annotations

from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.cards.qr import read_scan, use_qr_token
from mileage.clock import seoul_today
from mileage.people import authentication

PASSWORD = "volunteer-password-1"


def test_qr_status_says_unused_then_used_with_the_balance(client, session, make, login, app):
    card = make.card(balance=5000)
    headers = login(make.user(role="volunteer", volunteer_id=card.volunteer_id))
    image = client.get("/me/card/qr.png", headers=headers)
    token_id = image.headers["X-QR-Token-Id"]
    assert len(token_id) == 32

    before = client.get("/me/card/qr-status", query_string={"token_id": token_id}, headers=headers)
    assert before.status_code == 200 and before.json == {"used": False, "balance": 5000, "card_status": "active"}

    token = client.get("/me/card/qr", headers=headers).json["token"]
    scan = read_scan(session, app.extensions["mileage.token_signer"], token)
    use_qr_token(session, scan)
    used = client.get("/me/card/qr-status", query_string={"token_id": scan.token_id}, headers=headers)
    assert used.json["used"] is True


def test_another_volunteers_token_reads_as_unused(client, session, make, login, app):
    mine = make.card()
    other = make.card()
    other_headers = login(make.user(role="volunteer", volunteer_id=other.volunteer_id))
    token = client.get("/me/card/qr", headers=other_headers).json["token"]
    scan = read_scan(session, app.extensions["mileage.token_signer"], token)
    use_qr_token(session, scan)
    headers = login(make.user(role="volunteer", volunteer_id=mine.volunteer_id))
    answer = client.get("/me/card/qr-status", query_string={"token_id": scan.token_id}, headers=headers)
    assert answer.json["used"] is False


def test_the_month_statement_has_opening_lines_closing_and_totals(client, make, login):
    card = make.card(balance=3000)
    headers = login(make.user(role="volunteer", volunteer_id=card.volunteer_id))
    month = seoul_today().strftime("%Y-%m")
    answer = client.get("/me/statement", query_string={"month": month}, headers=headers)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["month"] == month and body["opening_balance"] == 0 and body["closing_balance"] == 3000
    assert body["earned"] == 3000 and body["used"] == 0
    assert [line["points"] for line in body["lines"]] == [3000]
    assert client.get("/me/statement", headers=headers).json["month"] == month
    bad = client.get("/me/statement", query_string={"month": "2026-13"}, headers=headers)
    assert bad.status_code == 422


def test_reversed_statement_dates_get_a_message_that_says_so(client, make, login):
    card = make.card()
    headers = login(make.user(role="volunteer", volunteer_id=card.volunteer_id), **{"Accept-Language": "en"})
    answer = client.get("/me/statement.csv", query_string={"from": "2026-05-02", "to": "2026-05-01"}, headers=headers)
    assert answer.status_code == 422
    assert "The start day must not be after the end day." in str(answer.json["errors"])


def test_a_reissued_card_names_the_card_it_replaced(client, session, make, login):
    card = make.card()
    headers = login(make.user(role="volunteer", volunteer_id=card.volunteer_id))
    assert client.get("/me/card", headers=headers).json["replaces_last4"] is None
    lifecycle.report_lost(session, card.id, actor=SYSTEM_ACTOR)
    lost = client.get("/me/card", headers=headers).json
    assert lost["status"] == "lost"
    lifecycle.reissue_card(session, card.id, actor=SYSTEM_ACTOR)
    new = client.get("/me/card", headers=headers).json
    assert new["status"] == "active" and new["replaces_last4"] == card.number[-4:]


def test_a_browser_sign_in_keeps_the_refresh_token_in_an_http_only_cookie(client, make):
    card = make.card()
    make.user(role="volunteer", volunteer_id=card.volunteer_id, username="halmoni", password=PASSWORD)
    answer = client.post("/auth/session", json={"username": "halmoni", "password": PASSWORD})
    assert answer.status_code == 200 and "refresh_token" not in answer.json and answer.json["role"] == "volunteer"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("mileage_refresh=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/auth/session" in cookie

    first = client.get_cookie("mileage_refresh", path="/auth/session").value
    renewed = client.post("/auth/session/refresh")
    assert renewed.status_code == 200 and renewed.json["access_token"]
    assert client.get_cookie("mileage_refresh", path="/auth/session").value != first

    assert client.post("/auth/session/end").status_code == 204
    assert client.get_cookie("mileage_refresh", path="/auth/session") is None
    assert client.post("/auth/session/refresh").json["code"] == "no_browser_session"


def test_ending_a_users_sign_ins_stops_the_cookie(client, session, make):
    card = make.card()
    user = make.user(role="volunteer", volunteer_id=card.volunteer_id, username="haraboji", password=PASSWORD)
    client.post("/auth/session", json={"username": "haraboji", "password": PASSWORD})
    assert authentication.end_sign_ins(session, user.id, actor=SYSTEM_ACTOR) == 1
    refused = client.post("/auth/session/refresh")
    assert refused.status_code == 401 and refused.json["code"] == "token_revoked"
