"""The donations API: open causes, a volunteer's donations and receipts, expiry, and the staff side."""

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from unittest import mock

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.clock import SEOUL, seoul_today
from mileage.donations import campaigns, donate
from mileage.models import AuditEvent, CauseStatus, Donation
from mileage.people.tokens import Principal


@pytest.fixture
def volunteer(make, login):
    """A signed-in volunteer with a card: `me = volunteer(balance=5000)`; me.card, me.headers."""

    class Me:
        def __init__(self, balance):
            self.card = make.card(balance=balance)
            self.user = make.user(role="volunteer", volunteer_id=self.card.volunteer_id)
            self.headers = login(self.user)

    return lambda balance=0: Me(balance)


@pytest.fixture
def staff(login_as):
    return login_as("staff")


def with_key(headers, key="k-1", **more):
    return {**headers, "Idempotency-Key": key, **more}


def balance(session, account_id):
    session.expire_all()
    return ledger.get_balance(session, account_id)


# --- the volunteer --------------------------------------------------------------------------

def test_everyone_signed_in_sees_the_open_causes_only(client, make, login_as):
    open_cause = make.cause(name="노원 푸드뱅크", target_points=100_000)
    closed = make.cause(status=CauseStatus.CLOSED)
    _, headers = login_as("coordinator")

    response = client.get("/causes", headers=headers)

    assert response.status_code == 200
    listed = {item["id"]: item for item in response.json["items"]}
    assert closed.id not in listed
    assert listed[open_cause.id] == {
        "id": open_cause.id, "name": "노원 푸드뱅크", "receiving_organisation": "노원구 푸드뱅크",
        "description": "", "target_points": 100_000, "donated": 0,
    }


def test_a_volunteer_donates_and_gets_a_receipt(client, session, make, volunteer):
    me = volunteer(balance=5000)
    cause = make.cause(name="겨울 연탄 나눔")

    response = client.post("/me/donations", json={"cause_id": cause.id, "points": 1500}, headers=with_key(me.headers))

    assert response.status_code == 201
    receipt = response.json
    assert receipt["receipt_number"].startswith(f"D-{seoul_today().year}-")
    assert (receipt["cause_name"], receipt["points"], receipt["channel"]) == ("겨울 연탄 나눔", 1500, "volunteer")
    assert receipt["donor_name"] == me.card.volunteer.name
    assert balance(session, me.card.account_id) == 3500
    assert balance(session, cause.account_id) == 1500


def test_a_retried_donation_is_posted_once_and_answered_the_same(client, session, make, volunteer):
    me = volunteer(balance=5000)
    cause = make.cause()
    body = {"cause_id": cause.id, "points": 1000}

    first = client.post("/me/donations", json=body, headers=with_key(me.headers, "retry-1"))
    again = client.post("/me/donations", json=body, headers=with_key(me.headers, "retry-1"))

    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert balance(session, me.card.account_id) == 4000
    other = client.post("/me/donations", json={**body, "points": 999}, headers=with_key(me.headers, "retry-1"))
    assert other.status_code == 409 and other.json["code"] == "idempotency_key_reused"


def test_a_donation_needs_an_idempotency_key(client, session, make, volunteer):
    me = volunteer(balance=5000)
    response = client.post("/me/donations", json={"cause_id": make.cause().id, "points": 10}, headers=me.headers)
    assert response.status_code == 422 and response.json["code"] == "idempotency_key_required"
    assert balance(session, me.card.account_id) == 5000


def test_donating_more_than_the_balance_is_refused_in_korean_or_english(client, session, make, volunteer):
    me = volunteer(balance=300)
    body = {"cause_id": make.cause().id, "points": 301}

    korean = client.post("/me/donations", json=body, headers=with_key(me.headers, "a"))
    english = client.post("/me/donations", json=body, headers=with_key(me.headers, "b", **{"Accept-Language": "en"}))

    assert korean.status_code == english.status_code == 409
    assert korean.json["code"] == "insufficient_balance"
    assert korean.json["message"] == "마일리지 잔액이 부족합니다. (잔액 300점)"
    assert english.json["message"] == "Insufficient mileage balance (300 points available)."
    assert balance(session, me.card.account_id) == 300
    mine = select(func.count()).select_from(Donation).where(Donation.volunteer_id == me.card.volunteer_id)
    assert session.scalar(mine) == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"points": 10}, "cause_id"),
        ({"cause_id": 1, "points": 0}, "points"),
        ({"cause_id": 1, "points": "10"}, "points"),
    ],
)
def test_a_malformed_donation_is_a_validation_error(client, volunteer, body, field):
    response = client.post("/me/donations", json=body, headers=with_key(volunteer().headers))
    assert response.status_code == 422 and field in response.json["errors"]


def test_a_closed_cause_refuses_donations(client, make, volunteer):
    me = volunteer(balance=300)
    cause = make.cause(name="마감된 모금", status=CauseStatus.CLOSED)
    response = client.post("/me/donations", json={"cause_id": cause.id, "points": 10}, headers=with_key(me.headers))
    assert response.status_code == 409 and response.json["code"] == "cause_closed"
    assert response.json["message"] == "모금이 마감된 기부처입니다: 마감된 모금"


def test_a_volunteer_lists_only_their_own_receipts(client, make, volunteer):
    me, other = volunteer(balance=500), volunteer(balance=500)
    cause = make.cause()
    client.post("/me/donations", json={"cause_id": cause.id, "points": 100}, headers=with_key(me.headers, "m1"))
    client.post("/me/donations", json={"cause_id": cause.id, "points": 200}, headers=with_key(me.headers, "m2"))
    client.post("/me/donations", json={"cause_id": cause.id, "points": 300}, headers=with_key(other.headers, "o1"))

    page = client.get("/me/donations?limit=1", headers=me.headers).json
    rest = client.get(f"/me/donations?cursor={page['next_cursor']}", headers=me.headers).json

    assert [item["points"] for item in page["items"] + rest["items"]] == [200, 100]
    assert rest["next_cursor"] is None


def test_a_volunteer_account_without_a_volunteer_is_refused(client, make, login):
    headers = login(Principal(role="volunteer", user_id=make.unlinked_user(role="volunteer").id))
    response = client.post("/me/donations", json={"cause_id": make.cause().id, "points": 1}, headers=with_key(headers))
    assert response.status_code == 403 and response.json["code"] == "volunteer_not_linked"


# --- expiry ---------------------------------------------------------------------------------

@contextmanager
def clock_at(moment: datetime):
    with mock.patch("mileage.ledger.posting.utc_now", return_value=moment):
        yield


def test_the_volunteer_sees_what_expires_in_the_next_90_days(client, app, make, volunteer):
    me = volunteer()
    today = seoul_today()
    soon = today - timedelta(days=5 * 365 + 1) + timedelta(days=20)
    # Whatever the leap days, a credit dated like this expires between 18 and 22 days from today.
    with clock_at(datetime.combine(soon, time(10), tzinfo=SEOUL)):
        make.credit(me.card, 700)
    make.credit(me.card, 300)

    body = client.get("/me/expiry", headers=me.headers).json

    assert body["years"] == app.config["EXPIRY_YEARS"] == 5
    assert body["today"] == today.isoformat() and body["until"] == (today + timedelta(days=90)).isoformat()
    assert body["balance"] == 1000 and body["total"] == 700
    assert len(body["expiring"]) == 1 and body["expiring"][0]["points"] == 700
    assert 18 <= (date.fromisoformat(body["expiring"][0]["date"]) - today).days <= 22
    assert body["donate_to"] is None


def test_a_volunteer_opts_in_to_donate_expiring_points_and_out_again(client, make, volunteer):
    me = volunteer()
    cause = make.cause(name="만료 포인트 나눔")

    assert client.get("/me/expiry-donation", headers=me.headers).json == {
        "opted_in": False, "cause": None, "chosen_at": None,
    }
    chosen = client.put("/me/expiry-donation", json={"cause_id": cause.id}, headers=me.headers)
    assert chosen.status_code == 200
    assert chosen.json["opted_in"] is True and chosen.json["cause"] == {"id": cause.id, "name": "만료 포인트 나눔"}
    assert client.get("/me/expiry", headers=me.headers).json["donate_to"]["id"] == cause.id

    assert client.delete("/me/expiry-donation", headers=me.headers).status_code == 204
    assert client.get("/me/expiry-donation", headers=me.headers).json["opted_in"] is False


def test_a_closed_cause_cannot_be_chosen_for_expiring_points(client, make, volunteer):
    cause = make.cause(status=CauseStatus.CLOSED)
    response = client.put("/me/expiry-donation", json={"cause_id": cause.id}, headers=volunteer().headers)
    assert response.status_code == 409 and response.json["code"] == "cause_closed"
    missing = client.put("/me/expiry-donation", json={"cause_id": 99_999_999}, headers=volunteer().headers)
    assert missing.status_code == 404 and missing.json["code"] == "cause_not_found"


# --- staff: causes --------------------------------------------------------------------------

def test_staff_open_edit_close_and_reopen_a_cause(client, session, staff):
    user, headers = staff
    created = client.post(
        "/admin/causes",
        json={"name": "노원 희망나눔", "receiving_organisation": "노원구청", "target_points": 500_000},
        headers=headers,
    )
    assert created.status_code == 201
    cause_id = created.json["id"]
    assert (created.json["status"], created.json["balance"], created.json["donated"]) == ("active", 0, 0)

    edited = client.patch(f"/admin/causes/{cause_id}", json={"description": "저소득 가정 지원"}, headers=headers)
    assert edited.status_code == 200 and edited.json["description"] == "저소득 가정 지원"
    closed = client.post(f"/admin/causes/{cause_id}/close", headers=headers)
    assert closed.json["status"] == "closed" and closed.json["closed_at"] is not None
    again = client.post(f"/admin/causes/{cause_id}/close", headers=headers)
    assert again.status_code == 409 and again.json["code"] == "cause_status_unchanged"
    assert client.post(f"/admin/causes/{cause_id}/reopen", headers=headers).json["status"] == "active"

    duplicate = client.post("/admin/causes", json={"name": "노원 희망나눔", "receiving_organisation": "x"},
                            headers=headers)
    assert duplicate.status_code == 409 and duplicate.json["code"] == "cause_name_taken"
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "cause", AuditEvent.actor_user_id == user.id)
    ).all()
    assert sorted(actions) == ["cause.close", "cause.create", "cause.edit", "cause.reopen"]


def test_an_empty_cause_edit_is_a_validation_error(client, session, make, staff):
    response = client.patch(f"/admin/causes/{make.cause().id}", json={}, headers=staff[1])
    assert response.status_code == 422 and response.json["code"] == "validation_failed"
    assert response.json["errors"] == {"_schema": ["바꿀 항목을 하나 이상 입력하세요."]}
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "cause.edit")) is None


def test_auditors_read_causes_but_cannot_change_them(client, make, login_as):
    cause = make.cause()
    _, auditor = login_as("auditor")
    assert client.get(f"/admin/causes/{cause.id}", headers=auditor).status_code == 200
    assert client.get("/admin/causes?status=active", headers=auditor).status_code == 200
    refused = client.post(f"/admin/causes/{cause.id}/close", headers=auditor)
    assert refused.status_code == 403 and refused.json["code"] == "role_not_allowed"


# --- staff: donations on behalf and disbursements -------------------------------------------

def test_staff_convert_points_on_a_volunteers_behalf_with_consent(client, session, make, staff):
    user, headers = staff
    card = make.card(balance=4000)
    cause = make.cause()
    body = {
        "volunteer_id": card.volunteer_id, "cause_id": cause.id, "points": 4000,
        "consent": {"method": "verbal", "witness_name": "이복지", "note": "센터 방문 시 구두 동의"},
    }

    response = client.post("/admin/donations", json=body, headers=with_key(headers))

    assert response.status_code == 201
    assert response.json["channel"] == "staff" and response.json["recorded_by_user_id"] == user.id
    assert response.json["consent"] == {
        "method": "verbal", "note": "센터 방문 시 구두 동의", "witness_name": "이복지", "witness_user_id": None,
    }
    assert balance(session, card.account_id) == 0
    listed = client.get(f"/admin/donations?volunteer_id={card.volunteer_id}", headers=headers).json["items"]
    assert [item["id"] for item in listed] == [response.json["id"]]
    assert client.get(f"/admin/donations/{response.json['id']}", headers=headers).json == response.json
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "donation.on_behalf")).actor_user_id == user.id


def test_verbal_consent_without_a_witness_is_refused(client, session, make, staff):
    card = make.card(balance=4000)
    body = {"volunteer_id": card.volunteer_id, "cause_id": make.cause().id, "points": 10,
            "consent": {"method": "verbal"}}
    response = client.post("/admin/donations", json=body, headers=with_key(staff[1]))
    assert response.status_code == 422 and response.json["code"] == "consent_witness_required"
    assert balance(session, card.account_id) == 4000
    unknown = client.post("/admin/donations", json={**body, "consent": {"method": "telepathy"}},
                          headers=with_key(staff[1], "k-2"))
    assert unknown.status_code == 422 and "consent" in unknown.json["errors"]


def test_a_disbursement_cannot_exceed_what_the_cause_holds(client, session, make, staff):
    _, headers = staff
    cause = make.cause()

    donate.donate_points(session, volunteer_id=make.card(balance=2000).volunteer_id, cause_id=cause.id,
                            points=2000)
    too_much = client.post("/admin/disbursements", json={"cause_id": cause.id, "points": 2001, "memo": "쌀 전달"},
                           headers=with_key(headers, "d-1"))
    assert too_much.status_code == 409 and too_much.json["code"] == "disbursement_exceeds_balance"
    assert too_much.json["message"] == "기부처 잔액(2,000점)보다 많이 전달할 수 없습니다. (요청 2,001점)"

    done = client.post(
        "/admin/disbursements",
        json={"cause_id": cause.id, "points": 1500, "memo": "쌀 10kg 15포", "attachment_ref": "증빙-0042"},
        headers=with_key(headers, "d-2"),
    )
    assert done.status_code == 201 and done.json["attachment_ref"] == "증빙-0042"
    assert balance(session, cause.account_id) == 500
    summary = client.get(f"/admin/causes/{cause.id}", headers=headers).json
    assert (summary["balance"], summary["donated"], summary["disbursed"]) == (500, 2000, 1500)
    listed = client.get(f"/admin/disbursements?cause_id={cause.id}", headers=headers).json["items"]
    assert [item["points"] for item in listed] == [1500]


# --- staff: campaigns -----------------------------------------------------------------------

def test_staff_create_run_and_read_a_campaign(client, session, session_factory, make, staff):
    _, headers = staff
    cause = make.cause()
    rich, poor = make.card(balance=3000), make.card(balance=200)
    body = {
        "name": "2026 연말 나눔", "cause_id": cause.id, "amount_mode": "fixed", "points_per_volunteer": 1000,
        "selection": {"volunteer_ids": [rich.volunteer_id, poor.volunteer_id]},
        "consent_method": "written", "consent_note": "서면 동의서 수합",
    }

    created = client.post("/admin/campaigns", json=body, headers=with_key(headers, "c-1"))

    assert created.status_code == 201
    campaign = created.json
    assert (campaign["state"], campaign["volunteers"], campaign["amount_mode"]) == ("ready", 2, "fixed")
    assert campaign["counts"] == {"pending": 2, "done": 0, "skipped": 0, "failed": 0}
    assert campaign["selection"]["volunteer_ids"] == [rich.volunteer_id, poor.volunteer_id]

    requested = client.post(f"/admin/campaigns/{campaign['id']}/run", headers=headers)
    assert requested.status_code == 202
    assert requested.headers["Location"] == f"/admin/campaigns/{campaign['id']}"
    assert requested.json["state"] == "ready" and requested.json["run_requested_at"] is not None
    assert balance(session, cause.account_id) == 0  # the request itself donates nothing
    campaigns.run_requested_campaigns(session_factory, actor=SYSTEM_ACTOR)  # what the worker does
    ran = client.get(requested.headers["Location"], headers=headers)
    assert ran.json["state"] == "completed" and ran.json["points_donated"] == 1000
    assert ran.json["counts"] == {"pending": 0, "done": 1, "skipped": 1, "failed": 0}
    rerun = client.post(f"/admin/campaigns/{campaign['id']}/run", headers=headers)
    assert rerun.status_code == 202 and rerun.json["counts"] == ran.json["counts"]
    assert balance(session, rich.account_id) == 2000 and balance(session, cause.account_id) == 1000

    items = client.get(f"/admin/campaigns/{campaign['id']}/items", headers=headers).json["items"]
    assert [(i["volunteer_id"], i["state"], i["points"], i["reason"]) for i in items] == [
        (rich.volunteer_id, "done", 1000, None),
        (poor.volunteer_id, "skipped", None, "insufficient_balance"),
    ]
    skipped = client.get(f"/admin/campaigns/{campaign['id']}/items?state=skipped", headers=headers).json["items"]
    assert [i["volunteer_id"] for i in skipped] == [poor.volunteer_id]
    assert client.get(f"/admin/campaigns/{campaign['id']}", headers=headers).json["state"] == "completed"
    assert [c["id"] for c in client.get("/admin/campaigns", headers=headers).json["items"]][0] == campaign["id"]


def test_a_double_submitted_campaign_is_created_once(client, make, staff):
    _, headers = staff
    card = make.card(balance=100)
    body = {"name": "x", "cause_id": make.cause().id, "amount_mode": "whole_balance",
            "selection": {"volunteer_ids": [card.volunteer_id]}, "consent_method": "app"}
    first = client.post("/admin/campaigns", json=body, headers=with_key(headers, "same"))
    second = client.post("/admin/campaigns", json=body, headers=with_key(headers, "same"))
    assert first.json["id"] == second.json["id"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"amount_mode": "fixed"}, "points_per_volunteer"),
        ({"amount_mode": "whole_balance", "points_per_volunteer": 10}, "points_per_volunteer"),
        ({"amount_mode": "half"}, "amount_mode"),
        ({"selection": {"volunteer_status": "retired"}}, "selection"),
    ],
)
def test_a_malformed_campaign_is_a_validation_error(client, make, staff, change, field):
    body = {"name": "x", "cause_id": 1, "amount_mode": "whole_balance", "selection": {},
            "consent_method": "written", "consent_note": "서면", **change}
    response = client.post("/admin/campaigns", json=body, headers=with_key(staff[1]))
    assert response.status_code == 422 and field in response.json["errors"]


def test_a_campaign_that_picks_nobody_is_refused(client, make, staff):
    body = {"name": "x", "cause_id": make.cause().id, "amount_mode": "whole_balance",
            "selection": {"min_balance": 10**11}, "consent_method": "written", "consent_note": "서면"}
    response = client.post("/admin/campaigns", json=body, headers=with_key(staff[1]))
    assert response.status_code == 422 and response.json["code"] == "campaign_selects_nobody"


def test_a_witness_user_must_exist(client, session, make, staff):
    card = make.card(balance=100)
    body = {"volunteer_id": card.volunteer_id, "cause_id": make.cause().id, "points": 10,
            "consent": {"method": "verbal", "witness_user_id": 99_999_999}}
    response = client.post("/admin/donations", json=body, headers=with_key(staff[1]))
    assert response.status_code == 404 and response.json["code"] == "user_not_found"
    assert balance(session, card.account_id) == 100


def test_one_idempotency_key_on_two_different_staff_actions_does_both(client, session, make, staff):
    """The key is scoped to the action: a donation and a disbursement never replay each other."""
    _, headers = staff
    cause = make.cause()
    card = make.card(balance=1000)
    donated = client.post(
        "/admin/donations", headers=with_key(headers, "same-key"),
        json={"volunteer_id": card.volunteer_id, "cause_id": cause.id, "points": 600,
              "consent": {"method": "written"}},
    )
    disbursed = client.post("/admin/disbursements", headers=with_key(headers, "same-key"),
                            json={"cause_id": cause.id, "points": 400, "memo": "전달"})
    assert (donated.status_code, disbursed.status_code) == (201, 201)
    assert balance(session, cause.account_id) == 200
