"""The console's workflows of issue 14: approve all that match, confirm, undo; one claim's page; last-four
search; auditors see no forms; user administration and passwords; sign-out that ends the session."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import select

from mileage.cards import lookup
from mileage.claims import batches
from mileage.models import AuditEvent, ClaimBatch, ClaimState, User
from tests.api.console_client import PASSWORD, ConsoleClient, redirect_of, text_of


@pytest.fixture
def console(client, make):
    console = ConsoleClient(client)
    console.staff = make.user(role="staff", username="kang.staff")
    console.login(console.staff)
    return console


def claim_rows(response, table: str = "") -> set[int]:
    html = response.get_data(as_text=True)
    if table:
        html = html[html.index(f'id="{table}"'):]
        html = html[: html.index("</table>")]
    return {int(found) for found in re.findall(r'<tr data-claim-id="(\d+)"', html)}


def event_claims(make, organisation, n: int, minutes: int = 60):
    return [make.claim(organisation=organisation, start_minute=9 * 60, minutes=minutes) for _ in range(n)]


def test_the_queue_counts_and_totals_every_claim_matching_the_filter(console, make, monkeypatch):
    from admin.console import approval_pages

    monkeypatch.setattr(approval_pages, "QUEUE_PAGE_SIZE", 5)
    event = make.organisation(name="상계 하천 정화")
    event_claims(make, event, 12)
    event_claims(make, make.organisation(name="다른 기관"), 3)
    page = console.get(f"/console/claims/?organisation_id={event.id}")
    assert len(claim_rows(page)) == 5  # one page shown...
    assert "이 조건에 맞는 대기 신청 12건 · 총 12,000점" in text_of(page)  # ...all twelve counted
    assert "조건에 맞는 12건 모두 승인" in text_of(page)


def test_approving_all_matching_asks_first_then_approves_keeps_the_filter_and_can_be_undone(console, make, session):
    event = make.organisation(name="불암산 숲 가꾸기")
    claims = event_claims(make, event, 8, minutes=90)
    other = make.claim(organisation=make.organisation(name="다른 기관"))
    back = f"/console/claims/?organisation_id={event.id}"

    review = console.post("/console/claims/approve/review",
                          {"scope": "matching", "organisation_id": event.id, "_back": back})
    assert review.status_code == 200
    assert "8건, 총 12,000점을 승인합니다." in text_of(review)
    assert claim_rows(review, "confirm-claims") == {claim.id for claim in claims}
    session.expire_all()
    assert all(claim.state == ClaimState.SUBMITTED for claim in claims)  # asking moves nothing

    ids = re.findall(r'name="claim_id" value="(\d+)"', review.get_data(as_text=True))
    done = console.post("/console/claims/approve", {"claim_id": ids, "_back": back})
    page = done.get_data(as_text=True)
    assert page.index('id="bulk-summary"') < page.index('id="approved-claims"')  # the summary on top
    assert "8건 승인 (12,000점 적립), 0건 실패" in text_of(done)
    assert 'id="back-to-queue">' in page and f'href="{back}" id="back-to-queue"' in page
    session.expire_all()
    assert all(claim.state == ClaimState.APPROVED for claim in claims) and other.state == ClaimState.SUBMITTED

    batch = session.scalars(select(ClaimBatch)).one()
    assert batch.claim_count == 8 and batch.total_points == 12_000
    undo = re.search(r'action="(/console/claims/batches/\d+/undo)"', page).group(1)
    undone = console.post(undo, {"_back": back})
    assert redirect_of(undone) == (303, back)
    assert "일괄 승인을 되돌렸습니다: 8건 승인 취소, 회수 12,000점" in text_of(console.get(back))
    session.expire_all()
    assert all(claim.state == ClaimState.REVERSED for claim in claims)
    for claim in claims:
        assert lookup.card_balance(session, lookup.current_card(session, claim.volunteer_id)) == 0
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"claims.approve_batch", "claims.undo_batch", "claim.reverse"} <= actions
    again = console.post(undo, {"_back": back})
    assert "이미 되돌렸습니다" in text_of(console.get(redirect_of(again)[1] or back))


def test_a_batch_cannot_be_undone_after_the_window(console, make, session):
    claim = make.claim()
    console.post("/console/claims/approve", {"claim_id": claim.id})
    batch = session.scalars(select(ClaimBatch)).one()
    later = batch.approved_at + batches.UNDO_WINDOW + timedelta(seconds=1)
    with mock.patch("mileage.claims.batches.utc_now", return_value=later):
        console.post(f"/console/claims/batches/{batch.id}/undo", {"_back": "/console/claims/"})
    assert "15분 안에만" in text_of(console.get("/console/claims/"))
    session.refresh(claim)
    assert claim.state == ClaimState.APPROVED


def test_ticked_claims_go_through_the_same_confirmation(console, make):
    claims = [make.claim(minutes=60) for _ in range(3)]
    review = console.post("/console/claims/approve/review", {"claim_id": [c.id for c in claims[:2]]})
    assert "2건, 총 2,000점을 승인합니다." in text_of(review)
    queue = console.get("/console/claims/").get_data(as_text=True)
    assert 'action="/console/claims/approve/review"' in queue
    assert 'id="bulk-approve" method="post" action="/console/claims/approve"' not in queue


def test_one_claim_has_its_own_page_with_its_history(console, make, session):
    claim = make.claim(minutes=60)
    console.post("/console/claims/approve", {"claim_id": claim.id})
    console.post(f"/console/claims/{claim.id}/reverse", {"reason": "기관 요청으로 취소"})
    page = console.get(f"/console/claims/{claim.id}")
    assert page.status_code == 200
    text = text_of(page)
    assert f"봉사 신청 #{claim.id}" in text
    history = re.findall(r'<li data-action="([a-z_.]+)"', page.get_data(as_text=True))
    assert history == ["claim.submit", "claim.approve", "claim.reverse"]
    assert "기관 요청으로 취소" in text
    assert (console.staff.display_name or console.staff.username) in text
    assert console.get("/console/claims/999999").status_code == 404


def test_a_card_is_found_by_its_last_four_digits(console, make):
    card = make.card()
    other = make.card()
    for typed in (card.number[-4:], "**** " + card.number[-4:]):
        page = console.get("/console/volunteers/", query_string={"q": typed})
        assert card.volunteer.name in text_of(page), typed
        assert other.volunteer.name not in text_of(page) or other.number[-4:] == card.number[-4:]


def test_an_auditor_sees_no_form_on_the_new_volunteer_or_claim_pages(client, make):
    claim = make.claim()
    console = ConsoleClient(client)
    console.login(make.user(role="auditor"))
    for path in ("/console/volunteers/new", f"/console/claims/{claim.id}"):
        response = console.get(path)
        assert response.status_code == 200, path
        actions = set(re.findall(r'<form method="post" action="([^"]+)"', response.get_data(as_text=True)))
        assert actions == {"/console/language", "/console/logout"}, path
        assert "<input" not in response.get_data(as_text=True).split("</header>")[1], path
    assert "조회만 할 수 있어" in text_of(console.get("/console/volunteers/new"))


def test_a_copied_session_cookie_stops_working_at_sign_out(app, client, make):
    console = ConsoleClient(client)
    console.login(make.user(role="staff"))
    cookie = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/console/claims/").status_code == 200
    console.post("/console/logout")
    stolen = thief.get("/console/claims/")
    assert stolen.status_code == 302 and "/console/login" in stolen.headers["Location"]


# --- users and passwords --------------------------------------------------------------------

@pytest.fixture
def admin_console(client, make):
    console = ConsoleClient(client)
    console.admin = make.user(role="admin", username="park.admin")
    console.login(console.admin)
    return console


def test_only_admins_administer_users(console):
    assert console.get("/console/users/").status_code == 403


def test_an_admin_creates_disables_resets_and_changes_roles_all_audited(app, admin_console, make, session):
    made = admin_console.post("/console/users/", {"username": "new.staff", "display_name": "신입 직원",
                                                  "role": "staff", "password": "first-password-1"})
    assert redirect_of(made)[0] == 303
    user = session.scalars(select(User).where(User.username == "new.staff")).one()
    assert user.role == "staff" and user.must_change_password
    assert "new.staff" in text_of(admin_console.get("/console/users/"))

    role = admin_console.post(f"/console/users/{user.id}/role", {"role": "auditor"})
    assert redirect_of(role)[0] == 303
    session.refresh(user)
    assert user.role == "auditor"

    reset = admin_console.post(f"/console/users/{user.id}/reset-password")
    temporary = re.search(r'id="temporary-password">([^<]+)<', reset.get_data(as_text=True)).group(1)
    assert len(temporary) >= 12

    admin_console.post(f"/console/users/{user.id}/disable")
    session.refresh(user)
    assert not user.is_active
    actions = [event.action for event in session.scalars(
        select(AuditEvent).where(AuditEvent.target_type == "user", AuditEvent.target_id == str(user.id))
        .order_by(AuditEvent.id))]
    assert actions == ["user.create", "user.set_role", "user.reset_password", "user.disable"]
    assert admin_console.post(f"/console/users/{admin_console.admin.id}/disable").status_code in (303, 403)
    session.refresh(admin_console.admin)
    assert admin_console.admin.is_active


def test_after_a_reset_the_user_must_change_the_password_at_next_sign_in(app, admin_console, make, session):
    staff = make.user(role="staff", username="lee.staff")
    reset = admin_console.post(f"/console/users/{staff.id}/reset-password")
    temporary = re.search(r'id="temporary-password">([^<]+)<', reset.get_data(as_text=True)).group(1)

    browser = ConsoleClient(app.test_client())
    assert browser.login(staff).status_code == 401  # the old password is gone
    # The temporary password does not sign in: the form asks for a new password first.
    asked = browser.login(staff, password=temporary)
    assert asked.status_code == 403 and 'id="new_password"' in asked.get_data(as_text=True)
    assert browser.get("/console/claims/").status_code == 302
    changed = browser.post("/console/login", {"username": staff.username, "password": temporary,
                                              "new_password": "my-own-password-9",
                                              "confirm_password": "my-own-password-9"})
    assert redirect_of(changed)[0] == 303
    assert browser.get("/console/claims/").status_code == 200
    session.refresh(staff)
    assert not staff.must_change_password


def test_anyone_changes_their_own_password_auditors_too(client, make, session):
    auditor = make.user(role="auditor")
    console = ConsoleClient(client)
    console.login(auditor)
    wrong = console.post("/console/account/password", {"current_password": "nope", "new_password": "next-password-2",
                                                       "confirm_password": "next-password-2",
                                                       "_back": "/console/account/password"})
    assert "아이디 또는 비밀번호가 올바르지 않습니다." in text_of(console.get(redirect_of(wrong)[1]))
    done = console.post("/console/account/password", {"current_password": PASSWORD, "new_password": "next-password-2",
                                                      "confirm_password": "next-password-2"})
    assert redirect_of(done)[0] == 303
    assert [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "user.change_password"))]


def test_staff_sign_a_volunteer_out_of_every_phone(app, console, make, session):
    card = make.card()
    make.user(role="volunteer", volunteer_id=card.volunteer_id, username="phone.owner", password=PASSWORD)
    phone = app.test_client()
    assert phone.post("/auth/session", json={"username": "phone.owner", "password": PASSWORD}).status_code == 200
    page = console.get(f"/console/volunteers/{card.volunteer_id}")
    assert 'id="end-sign-ins"' in page.get_data(as_text=True)
    done = console.post(f"/console/volunteers/{card.volunteer_id}/sign-ins/end",
                        {"_back": f"/console/volunteers/{card.volunteer_id}"})
    assert redirect_of(done)[0] == 303
    assert "휴대폰 로그인 1개를 끝냈습니다." in text_of(console.get(redirect_of(done)[1]))
    refused = phone.post("/auth/session/refresh")
    assert refused.status_code == 401
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "user.end_sign_ins")).one()
