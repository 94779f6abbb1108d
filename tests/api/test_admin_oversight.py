"""Oversight API: querying the audit log and checking the ledger invariants."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from mileage.audit import Actor, record_audit
from mileage.clock import seoul_today, utc_now
from mileage.models import Account, AuditEvent


@pytest.fixture
def events(session, make):
    """Five audit events by two people; the first one happened three days ago."""
    kim = make.user(role="staff")
    lee = make.user(role="admin")
    # The log is append-only, so the old event is written with its time rather than moved back.
    old = AuditEvent(
        occurred_at=utc_now() - timedelta(days=3), actor_user_id=kim.id, actor_role="staff", action="card.block",
        target_type="card", target_id="7", ip_address="10.0.0.1", request_id="r1",
    )
    session.add(old)
    session.flush()
    recorded = [
        old,
        record_audit(session, Actor(kim.id, "staff"), "claim.approve", target_type="claim", target_id=1),
        record_audit(session, Actor(lee.id, "admin"), "claim.approve", target_type="claim", target_id=2),
        record_audit(session, Actor(lee.id, "admin"), "claim.reject", target_type="claim", target_id=3,
                     before={"state": "submitted"}, after={"state": "rejected", "reason": "중복"}),
        record_audit(session, Actor(kim.id, "staff"), "card.unblock", target_type="card", target_id=7),
    ]
    return kim, lee, [event.id for event in recorded]


def query(client, headers, **params):
    response = client.get("/admin/audit-events", query_string=params, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize("role", ["staff", "admin", "auditor"])
def test_staff_admins_and_auditors_read_the_audit_log_newest_first(client, login_as, events, role):
    _, _, ids = events
    _, headers = login_as(role)
    items = query(client, headers)["items"]
    assert [item["id"] for item in items if item["id"] in ids] == list(reversed(ids))
    rejected = next(item for item in items if item["id"] == ids[3])
    assert rejected["before"] == {"state": "submitted"} and rejected["after"]["reason"] == "중복"
    blocked = next(item for item in items if item["id"] == ids[0])
    assert (blocked["ip_address"], blocked["request_id"], blocked["target_id"]) == ("10.0.0.1", "r1", "7")


def test_filters_by_actor_action_target_and_days(client, login_as, events):
    kim, lee, ids = events
    _, headers = login_as("auditor")

    def found(**params):
        return [item["id"] for item in query(client, headers, **params)["items"] if item["id"] in ids]

    assert found(actor_user_id=lee.id) == [ids[3], ids[2]]
    assert found(action="claim.approve") == [ids[2], ids[1]]
    assert found(target_type="card", target_id="7") == [ids[4], ids[0]]
    today = seoul_today().isoformat()
    three_days_ago = (seoul_today() - timedelta(days=3)).isoformat()
    assert found(date_from=today) == [ids[4], ids[3], ids[2], ids[1]]
    assert found(date_from=three_days_ago, date_to=three_days_ago) == [ids[0]]
    bad = client.get("/admin/audit-events", query_string={"date_from": today, "date_to": three_days_ago},
                     headers=headers)
    assert bad.status_code == 422 and "date_to" in bad.json["errors"]


def test_audit_log_pages_with_a_cursor(client, login_as, events):
    kim, _, ids = events
    _, headers = login_as("staff")
    first = query(client, headers, actor_user_id=kim.id, limit=2)
    second = query(client, headers, actor_user_id=kim.id, limit=2, cursor=first["next_cursor"])
    assert [item["id"] for item in first["items"] + second["items"]] == [ids[4], ids[1], ids[0]]
    assert second["next_cursor"] is None


def test_staff_actions_through_the_api_show_up_in_the_log(client, make, login_as):
    user, headers = login_as("staff")
    card = make.card()
    client.post(f"/admin/cards/{card.id}/block", headers={**headers, "X-Request-ID": "desk-7"})
    [event] = query(client, headers, target_type="card", target_id=str(card.id), actor_user_id=user.id)["items"]
    assert event["action"] == "card.block" and event["actor_user_id"] == user.id
    assert event["request_id"] == "desk-7" and event["ip_address"] == "127.0.0.1"


@pytest.mark.parametrize("role", ["coordinator", "volunteer"])
def test_others_cannot_read_the_audit_log(client, login_as, role):
    _, headers = login_as(role)
    response = client.get("/admin/audit-events", headers=headers)
    assert response.status_code == 403 and response.json["code"] == "role_not_allowed"


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_invariant_check_reports_a_healthy_ledger(client, make, login_as, role):
    make.card(balance=1234)
    _, headers = login_as(role)
    response = client.get("/admin/invariants", headers=headers)
    assert response.status_code == 200
    report = response.json
    assert report["ok"] is True and report["balance_mismatches"] == [] and report["total_of_all_postings"] == 0
    assert report["entries_checked"] >= 1 and report["accounts_checked"] >= 2


def test_invariant_check_reports_a_tampered_balance(client, session, make, login_as):
    card = make.card(balance=500)
    session.execute(update(Account).where(Account.id == card.account_id).values(balance=900))
    _, headers = login_as("admin")
    report = client.get("/admin/invariants", headers=headers).json
    assert report["ok"] is False
    assert {"account_id": card.account_id, "code": f"card:{card.number}", "stored": 900, "postings": 500} in report[
        "balance_mismatches"
    ]


def test_staff_cannot_run_the_invariant_check(client, login_as):
    _, headers = login_as("staff")
    response = client.get("/admin/invariants", headers=headers)
    assert response.status_code == 403 and response.json["code"] == "role_not_allowed"
