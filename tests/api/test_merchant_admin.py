"""The staff side of partner shops over HTTP: registration, status, offer versions, terminals, closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mileage.clock import seoul_today
from mileage.models import AuditEvent, Terminal
from mileage.shops.settlement import month_start


@pytest.fixture
def staff(make, login):
    user = make.user(role="staff")
    return user, login(user)


def register(client, headers, number="124-81-00998", **fields):
    body = {"name": "상계 행복베이커리", "business_number": number, "address": "서울 노원구 상계로 70",
            "category": "제과점", "contact": "02-930-1234", **fields}
    return client.post("/admin/merchants", json=body, headers=headers)


def test_staff_register_a_pending_shop_and_the_audit_log_names_them(client, session, staff):
    user, headers = staff

    response = register(client, headers)

    assert response.status_code == 201
    shop = response.json["merchant"]
    assert (shop["business_number"], shop["status"], response.json["offer"]) == ("1248100998", "pending", None)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "merchant.register"))
    assert event.actor_user_id == user.id and event.target_id == str(shop["id"])


def test_a_bad_or_taken_business_number_is_refused_with_its_code(client, staff):
    _, headers = staff
    bad = register(client, headers, number="124-81-00997")
    assert bad.status_code == 422 and bad.json["code"] == "invalid_business_number"
    assert bad.json["message"] == "사업자등록번호가 올바르지 않습니다. (숫자 10자리, 검증번호 확인)"
    assert register(client, headers).status_code == 201
    taken = register(client, headers, number="1248100998", name="다른 가게")
    assert taken.status_code == 409 and taken.json["code"] == "business_number_taken"


def test_offers_are_versioned_with_days_and_seoul_hours(client, staff):
    _, headers = staff
    shop_id = register(client, headers).json["merchant"]["id"]
    url = f"/admin/merchants/{shop_id}/offers"

    first = client.post(url, json={"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000}, headers=headers)
    second = client.post(url, json={"rate_bp": 500, "max_discount": 2000, "days": ["sat", "sun"],
                                    "start_time": "11:00", "end_time": "14:30"}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert (first.json["version"], second.json["version"]) == (1, 2)
    assert (second.json["days"], second.json["start_time"], second.json["end_time"]) == (
        ["sat", "sun"], "11:00", "14:30")
    assert [offer["version"] for offer in client.get(url, headers=headers).json] == [2, 1]
    assert client.get(f"/admin/merchants/{shop_id}", headers=headers).json["offer"]["version"] == 2
    bad = client.post(url, json={"rate_bp": 500, "max_discount": 10, "start_time": "15:00", "end_time": "09:00"},
                      headers=headers)
    assert bad.status_code == 422 and "end_time" in bad.json["errors"]


def test_staff_edit_activate_and_suspend_a_shop(client, staff):
    _, headers = staff
    shop_id = register(client, headers).json["merchant"]["id"]

    edited = client.patch(f"/admin/merchants/{shop_id}", json={"contact": "010-1111-2222"}, headers=headers)
    active = client.post(f"/admin/merchants/{shop_id}/status", json={"status": "active"}, headers=headers)
    suspended = client.post(f"/admin/merchants/{shop_id}/status", json={"status": "suspended"}, headers=headers)

    assert edited.json["merchant"]["contact"] == "010-1111-2222"
    assert active.json["merchant"]["status"] == "active" and suspended.json["merchant"]["status"] == "suspended"
    listed = client.get("/admin/merchants?status=suspended", headers=headers).json["items"]
    assert [shop["id"] for shop in listed] == [shop_id]
    pending = client.post(f"/admin/merchants/{shop_id}/status", json={"status": "pending"}, headers=headers)
    assert pending.status_code == 422 and pending.json["code"] == "validation_failed"
    assert "status" in pending.json["errors"]
    assert client.get(f"/admin/merchants/{shop_id}", headers=headers).json["merchant"]["status"] == "suspended"


def test_a_terminal_secret_is_shown_once_rotated_and_revoked(client, session, make, staff):
    _, headers = staff
    shop = make.merchant()

    created = client.post(f"/admin/merchants/{shop.id}/terminals", json={"label": "2번 계산대"}, headers=headers)

    assert created.status_code == 201
    terminal, secret = created.json["terminal"], created.json["secret"]
    listed = client.get(f"/admin/merchants/{shop.id}/terminals", headers=headers)
    assert secret not in listed.get_data(as_text=True) and listed.json["items"][0]["key_id"] == terminal["key_id"]
    assert secret not in session.get(Terminal, terminal["id"]).secret_hash

    def exchange(with_secret):
        return client.post("/merchant/auth/token", json={"key_id": terminal["key_id"], "secret": with_secret})

    assert exchange(secret).status_code == 200
    rotated = client.post(f"/admin/terminals/{terminal['id']}/rotate", headers=headers).json
    assert exchange(secret).status_code == 401 and exchange(rotated["secret"]).status_code == 200
    revoked = client.post(f"/admin/terminals/{terminal['id']}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert exchange(rotated["secret"]).json["code"] == "terminal_revoked"
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "terminal")))
    assert {"terminal.create", "terminal.rotate", "terminal.revoke"} <= actions


def test_staff_close_last_month_once_and_cannot_close_this_one(client, make, staff):
    _, headers = staff
    make.merchant()
    last_month = month_start(month_start(seoul_today()) - timedelta(days=1))

    closed = client.post("/admin/settlement/closures", json={"period": "month", "day": last_month.isoformat()},
                         headers=headers)
    assert closed.status_code == 201 and all(line["closed"] for line in closed.json["items"])
    one = closed.json["items"][0]["merchant_id"]
    again = client.post("/admin/settlement/closures",
                        json={"period": "month", "day": last_month.isoformat(), "merchant_id": one}, headers=headers)
    assert again.status_code == 409 and again.json["code"] == "settlement_period_already_closed"
    current = client.post("/admin/settlement/closures", json={"period": "day", "day": seoul_today().isoformat()},
                          headers=headers)
    assert current.status_code == 422 and current.json["code"] == "settlement_period_not_over"
    report = client.get(f"/admin/settlement?period=month&start={last_month}&end={last_month}&merchant_id={one}",
                        headers=headers).json["items"]
    assert [(line["merchant_id"], line["closed"], line["net"]) for line in report] == [(one, True, 0)]
