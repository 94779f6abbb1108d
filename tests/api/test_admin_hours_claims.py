"""Staff hours API: submitting, listing, approving, rejecting, bulk-approving and reversing claims."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.clock import seoul_today
from mileage.models import AccountKind, AuditEvent, Claim, JournalEntry

# The default policy credits 1,000 points per hour.
POINTS_PER_HOUR = 1000


@pytest.fixture
def staff(login_as):
    return login_as("staff")


@pytest.fixture
def organisation(make):
    return make.organisation(name="노원구 자원봉사센터 시험기관")


@pytest.fixture
def coordinator(login_as, organisation):
    return login_as("coordinator", organisation_id=organisation.id)


def days_ago(days: int) -> str:
    return (seoul_today() - timedelta(days=days)).isoformat()


def claim_body(volunteer, organisation=None, **overrides):
    body = {"volunteer_id": volunteer.id, "date": days_ago(1), "start": "09:00", "end": "12:30", "category": "복지"}
    if organisation is not None:
        body["organisation_id"] = organisation.id
    body.update(overrides)
    return body


def audit_events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def claim_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Claim))


def balance_of(session, card) -> int:
    return ledger.get_balance(session, card.account_id)


# --- submission -----------------------------------------------------------------------------

def test_staff_submit_a_claim_with_hh_mm_times(client, session, make, staff, organisation):
    card = make.card()
    response = client.post(
        "/admin/claims", json=claim_body(card.volunteer, organisation, note="어르신 도시락 배달"), headers=staff[1]
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["state"] == "submitted" and body["minutes"] == 210
    assert (body["start"], body["end"], body["date"]) == ("09:00", "12:30", days_ago(1))
    assert body["volunteer_name"] == card.volunteer.name and body["organisation_name"] == organisation.name
    assert body["submitted_by_user_id"] == staff[0].id and body["points"] is None
    [event] = audit_events(session, "claim.submit")
    assert event.target_id == str(body["id"]) and event.after["start"] == "09:00"


def test_times_may_also_be_minutes_since_midnight(client, make, staff, organisation):
    card = make.card()
    response = client.post(
        "/admin/claims", json=claim_body(card.volunteer, organisation, start=17 * 60, end=24 * 60), headers=staff[1]
    )
    assert response.status_code == 201, response.json
    assert (response.json["start"], response.json["end"], response.json["minutes"]) == ("17:00", "24:00", 420)


def test_a_card_number_can_name_the_volunteer_and_a_name_guards_against_typos(client, session, make, staff,
                                                                                organisation):
    card = make.card(volunteer=make.volunteer(name="김민수"))
    body = claim_body(card.volunteer, organisation, card_number=card.number, volunteer_name="김 민수")
    del body["volunteer_id"]
    assert client.post("/admin/claims", json=body, headers=staff[1]).status_code == 201

    wrong_name = dict(body, volunteer_name="김민지", start="13:00", end="14:00")
    response = client.post("/admin/claims", json=wrong_name, headers=staff[1])
    assert response.status_code == 422 and response.json["code"] == "volunteer_name_mismatch"

    someone_else = make.volunteer()
    mismatch = dict(body, volunteer_id=someone_else.id, volunteer_name=None, start="15:00", end="16:00")
    del mismatch["volunteer_name"]
    response = client.post("/admin/claims", json=mismatch, headers=staff[1])
    assert response.status_code == 422 and response.json["code"] == "claim_volunteer_mismatch"
    assert claim_count(session) == 1


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"date": days_ago(-1)}, "claim_in_future"),
        ({"date": days_ago(400)}, "claim_outside_window"),
        ({"start": "12:00", "end": "09:00"}, "claim_invalid_times"),
        ({"start": "00:00", "end": "09:30"}, "claim_exceeds_daily_limit"),
        ({"volunteer_id": None}, "claim_volunteer_required"),
        ({"card_number": "1234 5678 9012 3456"}, "invalid_card_number"),
    ],
)
def test_policy_refusals_name_the_rule(client, session, make, staff, organisation, overrides, code):
    card = make.card()
    body = {key: value for key, value in claim_body(card.volunteer, organisation, **overrides).items()
            if value is not None}
    response = client.post("/admin/claims", json=body, headers=staff[1])
    assert response.status_code == 422, response.json
    assert response.json["code"] == code
    assert claim_count(session) == 0


def test_an_overlapping_claim_is_refused(client, session, make, staff, organisation):
    card = make.card()
    first = client.post("/admin/claims", json=claim_body(card.volunteer, organisation), headers=staff[1])
    assert first.status_code == 201
    response = client.post(
        "/admin/claims", json=claim_body(card.volunteer, organisation, start="12:00", end="13:00"),
        headers={**staff[1], "Accept-Language": "en"},
    )
    assert response.status_code == 422 and response.json["code"] == "claim_overlaps"
    assert response.json["message"] == "Another claim of this volunteer overlaps this time."
    assert claim_count(session) == 1


def test_staff_must_name_the_organisation(client, make, staff):
    card = make.card()
    response = client.post("/admin/claims", json=claim_body(card.volunteer), headers=staff[1])
    assert response.status_code == 422 and response.json["code"] == "claim_organisation_required"


def test_a_coordinator_submits_for_their_own_organisation_without_naming_it(client, session, make, coordinator,
                                                                              organisation):
    card = make.card()
    response = client.post("/admin/claims", json=claim_body(card.volunteer), headers=coordinator[1])
    assert response.status_code == 201, response.json
    assert response.json["organisation_id"] == organisation.id
    [event] = audit_events(session, "claim.submit")
    assert event.actor_role == "coordinator" and event.actor_user_id == coordinator[0].id


def test_a_coordinator_cannot_submit_for_another_organisation(client, session, make, coordinator):
    card = make.card()
    other = make.organisation()
    response = client.post("/admin/claims", json=claim_body(card.volunteer, other), headers=coordinator[1])
    assert response.status_code == 403 and response.json["code"] == "not_owner"
    assert claim_count(session) == 0


def test_a_coordinator_without_an_organisation_may_act_for_none(client, session, make, login, organisation):
    from mileage.people.tokens import Principal

    unlinked = make.unlinked_user(role="coordinator")
    headers = login(Principal(role="coordinator", user_id=unlinked.id, organisation_id=None))
    card = make.card()
    submitted = client.post("/admin/claims", json=claim_body(card.volunteer, organisation), headers=headers)
    listed = client.get("/admin/claims", headers=headers)
    assert submitted.status_code == listed.status_code == 403
    assert submitted.json["code"] == listed.json["code"] == "not_owner"


@pytest.mark.parametrize("role", ["auditor", "volunteer"])
def test_auditors_and_volunteers_cannot_submit_here(client, session, make, login_as, organisation, role):
    card = make.card()
    _, headers = login_as(role)
    response = client.post("/admin/claims", json=claim_body(card.volunteer, organisation), headers=headers)
    assert response.status_code == 403 and response.json["code"] == "role_not_allowed"
    assert claim_count(session) == 0


# --- listing --------------------------------------------------------------------------------

def test_list_filters_by_state_organisation_volunteer_category_and_dates(client, session, make, staff, organisation):
    volunteer = make.card().volunteer
    other_org = make.organisation()
    old = make.claim(volunteer=volunteer, organisation=organisation, work_date=seoul_today() - timedelta(days=10),
                     category="환경")
    recent = make.claim(volunteer=volunteer, organisation=organisation, work_date=seoul_today() - timedelta(days=2))
    elsewhere = make.claim(organisation=other_org, work_date=seoul_today() - timedelta(days=2))
    client.post(f"/admin/claims/{recent.id}/approve", headers=staff[1])

    def ids(**params):
        response = client.get("/admin/claims", query_string=params, headers=staff[1])
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids(organisation_id=organisation.id) == [recent.id, old.id]
    assert ids(state="approved") == [recent.id]
    assert ids(state="submitted", volunteer_id=volunteer.id) == [old.id]
    assert ids(date_from=days_ago(3), date_to=days_ago(1)) == [elsewhere.id, recent.id]
    assert ids(date_from=days_ago(10), date_to=days_ago(10)) == [old.id]
    assert ids(category="환경") == [old.id]
    assert ids(category="복지", organisation_id=organisation.id) == [recent.id]
    bad = client.get("/admin/claims", query_string={"date_from": days_ago(1), "date_to": days_ago(3)}, headers=staff[1])
    assert bad.status_code == 422 and "date_to" in bad.json["errors"]


def test_list_pages_newest_first(client, make, staff, organisation):
    volunteer = make.card().volunteer
    created = [make.claim(volunteer=volunteer, organisation=organisation, start_minute=60 * hour, minutes=60).id
               for hour in range(1, 6)]
    seen, cursor = [], None
    while True:
        params = {"organisation_id": organisation.id, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/admin/claims", query_string=params, headers=staff[1]).json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))


def test_a_coordinator_lists_only_their_organisations_claims(client, make, coordinator, organisation):
    mine = make.claim(organisation=organisation)
    theirs = make.claim(organisation=make.organisation())
    response = client.get("/admin/claims", headers=coordinator[1])
    assert response.status_code == 200
    assert [item["id"] for item in response.json["items"]] == [mine.id]
    other = client.get("/admin/claims", query_string={"organisation_id": theirs.organisation_id},
                       headers=coordinator[1])
    assert other.status_code == 403 and other.json["code"] == "not_owner"
    assert client.get(f"/admin/claims/{mine.id}", headers=coordinator[1]).status_code == 200
    hidden = client.get(f"/admin/claims/{theirs.id}", headers=coordinator[1])
    assert hidden.status_code == 404 and hidden.json["code"] == "claim_not_found"


# --- review ---------------------------------------------------------------------------------

def test_approve_credits_the_card_once_and_audits_who_from_where(client, session, make, staff):
    card = make.card(balance=500)
    claim = make.claim(volunteer=card.volunteer, minutes=150)
    headers = {**staff[1], "X-Request-ID": "approve-42"}
    response = client.post(f"/admin/claims/{claim.id}/approve", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["state"] == "approved" and response.json["points"] == 2500
    assert response.json["reviewed_by_user_id"] == staff[0].id
    assert balance_of(session, card) == 3000
    [event] = audit_events(session, "claim.approve")
    assert (event.actor_user_id, event.actor_role, event.ip_address, event.request_id) == (
        staff[0].id, "staff", "127.0.0.1", "approve-42"
    )
    assert event.before == {"state": "submitted"} and event.after == {"state": "approved", "points": 2500}

    again = client.post(f"/admin/claims/{claim.id}/approve", headers=staff[1])
    assert again.status_code == 409 and again.json["code"] == "claim_already_reviewed"
    assert balance_of(session, card) == 3000
    assert len(audit_events(session, "claim.approve")) == 1


def test_approving_for_a_volunteer_without_a_card_is_refused_and_leaves_the_claim(client, session, make, staff):
    claim = make.claim(volunteer=make.volunteer())
    response = client.post(f"/admin/claims/{claim.id}/approve", headers=staff[1])
    assert response.status_code == 409 and response.json["code"] == "volunteer_has_no_card"
    session.expire_all()
    assert session.get(Claim, claim.id).state == "submitted"
    assert audit_events(session, "claim.approve") == []


def test_reject_needs_a_reason_and_records_it(client, session, make, staff):
    claim = make.claim()
    missing = client.post(f"/admin/claims/{claim.id}/reject", json={}, headers=staff[1])
    assert missing.status_code == 422 and "reason" in missing.json["errors"]
    blank = client.post(f"/admin/claims/{claim.id}/reject", json={"reason": "   "}, headers=staff[1])
    assert blank.status_code == 422 and blank.json["errors"] == {"reason": ["비워 둘 수 없습니다."]}
    response = client.post(f"/admin/claims/{claim.id}/reject", json={"reason": "기관 확인 불가"}, headers=staff[1])
    assert response.status_code == 200
    assert response.json["state"] == "rejected" and response.json["rejection_reason"] == "기관 확인 불가"
    [event] = audit_events(session, "claim.reject")
    assert event.after == {"state": "rejected", "reason": "기관 확인 불가"}
    approve = client.post(f"/admin/claims/{claim.id}/approve", headers=staff[1])
    assert approve.status_code == 409 and approve.json["code"] == "claim_already_reviewed"


def test_bulk_approve_reports_each_claim_and_a_bad_one_does_not_stop_the_rest(client, session, make, staff):
    card = make.card()
    first = make.claim(volunteer=card.volunteer, start_minute=9 * 60, minutes=60)
    rejected = make.claim(volunteer=card.volunteer, start_minute=11 * 60, minutes=60)
    no_card = make.claim(volunteer=make.volunteer())
    last = make.claim(volunteer=card.volunteer, start_minute=13 * 60, minutes=120)
    client.post(f"/admin/claims/{rejected.id}/reject", json={"reason": "중복"}, headers=staff[1])

    ids = [first.id, rejected.id, 999_999, no_card.id, last.id, first.id]
    response = client.post("/admin/claims/bulk-approve", json={"claim_ids": ids}, headers=staff[1])
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["approved"], body["failed"]) == (2, 3)
    outcome = [(r["claim_id"], r["ok"], r["error"] and r["error"]["code"]) for r in body["results"]]
    assert outcome == [
        (first.id, True, None),
        (rejected.id, False, "claim_already_reviewed"),
        (999_999, False, "claim_not_found"),
        (no_card.id, False, "volunteer_has_no_card"),
        (last.id, True, None),
    ]
    assert body["results"][0]["claim"]["points"] == 1 * POINTS_PER_HOUR
    assert body["results"][1]["error"]["status"] == 409 and body["results"][1]["error"]["message"]
    assert balance_of(session, card) == 3 * POINTS_PER_HOUR
    session.expire_all()
    assert session.get(Claim, no_card.id).state == "submitted"
    assert sorted(int(e.target_id) for e in audit_events(session, "claim.approve")) == sorted([first.id, last.id])


@pytest.mark.parametrize("body", [{}, {"claim_ids": []}, {"claim_ids": ["1"]}, {"claim_ids": list(range(1, 502))}])
def test_bulk_approve_validates_the_list(client, staff, body):
    response = client.post("/admin/claims/bulk-approve", json=body, headers=staff[1])
    assert response.status_code == 422 and "claim_ids" in response.json["errors"]


def test_reverse_takes_back_what_is_left_and_reports_what_was_spent(client, session, make, staff):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, minutes=180)
    client.post(f"/admin/claims/{claim.id}/approve", headers=staff[1])
    shop = ledger.open_account(session, AccountKind.MERCHANT, "merchant:reverse-test")
    ledger.transfer(session, kind="redemption", from_account_id=card.account_id, to_account_id=shop.id, amount=1200)
    assert balance_of(session, card) == 1800

    response = client.post(f"/admin/claims/{claim.id}/reverse", json={"reason": "허위 신청"}, headers=staff[1])
    assert response.status_code == 200, response.json
    body = response.json
    assert body["state"] == "reversed"
    assert (body["points"], body["recovered_points"], body["unrecovered_points"]) == (3000, 1800, 1200)
    assert balance_of(session, card) == 0
    [event] = audit_events(session, "claim.reverse")
    assert event.after["unrecovered_points"] == 1200 and event.after["reason"] == "허위 신청"
    assert ledger.check_invariants(session).ok

    again = client.post(f"/admin/claims/{claim.id}/reverse", json={"reason": "again"}, headers=staff[1])
    assert again.status_code == 409 and again.json["code"] == "claim_not_approved"
    assert session.scalar(
        select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "claim_reversal")
    ) == 1


def test_reverse_in_full_when_nothing_was_spent(client, session, make, staff):
    card = make.card(balance=100)
    claim = make.claim(volunteer=card.volunteer, minutes=60)
    client.post(f"/admin/claims/{claim.id}/approve", headers=staff[1])
    response = client.post(f"/admin/claims/{claim.id}/reverse", json={"reason": "입력 실수"}, headers=staff[1])
    assert (response.json["recovered_points"], response.json["unrecovered_points"]) == (1000, 0)
    assert balance_of(session, card) == 100


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": " \t"}])
def test_reverse_needs_a_reason(client, session, make, staff, body):
    claim = make.claim()
    client.post(f"/admin/claims/{claim.id}/approve", headers=staff[1])
    response = client.post(f"/admin/claims/{claim.id}/reverse", json=body, headers=staff[1])
    assert response.status_code == 422 and "reason" in response.json["errors"]
    session.expire_all()
    assert session.get(Claim, claim.id).state == "approved"


@pytest.mark.parametrize("role", ["auditor", "coordinator"])
def test_only_staff_review(client, session, make, login_as, organisation, role):
    card = make.card()
    claim = make.claim(volunteer=card.volunteer, organisation=organisation)
    _, headers = login_as(role, **({"organisation_id": organisation.id} if role == "coordinator" else {}))
    for path, body in (("approve", None), ("reject", {"reason": "x"}), ("reverse", {"reason": "x"})):
        response = client.post(f"/admin/claims/{claim.id}/{path}", json=body, headers=headers)
        assert response.status_code == 403 and response.json["code"] == "role_not_allowed"
    bulk = client.post("/admin/claims/bulk-approve", json={"claim_ids": [claim.id]}, headers=headers)
    assert bulk.status_code == 403
    session.expire_all()
    assert session.get(Claim, claim.id).state == "submitted"
    assert balance_of(session, card) == 0
    # Reading is fine for both.
    assert client.get(f"/admin/claims/{claim.id}", headers=headers).status_code == 200
