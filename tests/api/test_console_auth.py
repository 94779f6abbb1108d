"""Staff console: sign-in, session cookie and expiry, CSRF, the auditor's read-only rule, language, error pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.clock import utc_now
from mileage.models import AuditEvent, Claim, ClaimState, JournalEntry
from tests.api.console_client import ConsoleClient, redirect_of, text_of

# What a signed-out browser asking for the dashboard gets: the sign-in page, which leads back to it.
SIGNED_OUT = (302, "/console/login?next=/console/?")


@pytest.fixture
def console(client):
    return ConsoleClient(client)


@pytest.fixture
def staff(make):
    return make.user(role="staff", username="park.staff", display_name="박지은")


def _audit_count(session, action: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    return session.scalar(query)


# --- sign-in ------------------------------------------------------------------------------------

def test_login_page_is_korean_and_its_cookie_is_httponly_and_samesite(console):
    response = console.get("/console/login")
    assert response.status_code == 200
    assert '<html lang="ko">' in response.get_data(as_text=True)
    assert "자원봉사센터 직원, 관리자, 감사자 계정으로 로그인하세요." in text_of(response)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_secure_cookie_is_configurable(app, console):
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "Secure" in console.get("/console/login").headers["Set-Cookie"]


def test_staff_signs_in_lands_on_the_dashboard_and_the_sign_in_is_audited(console, staff, session):
    response = console.login(staff)
    assert response.status_code == 303 and response.headers["Location"] == "/console/"
    dashboard = console.get("/console/")
    assert dashboard.status_code == 200
    assert "박지은 · 직원" in text_of(dashboard)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "console.sign_in")).one()
    assert event.actor_user_id == staff.id and event.ip_address == "127.0.0.1" and event.request_id


def test_wrong_password_is_refused_in_korean_with_401(console, staff):
    response = console.login(staff, password="wrong-password-1")
    assert response.status_code == 401
    assert "아이디 또는 비밀번호가 올바르지 않습니다." in text_of(response)
    assert redirect_of(console.get("/console/")) == SIGNED_OUT


# Merchants sign in with terminal credentials; a user account can never have the merchant role.
@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_other_roles_cannot_use_the_console_even_with_the_right_password(console, make, role):
    user = make.user(role=role)
    response = console.login(user)
    assert response.status_code == 403
    assert "관리 콘솔은 직원, 관리자, 감사자만 사용할 수 있습니다." in text_of(response)
    assert redirect_of(console.get("/console/")) == SIGNED_OUT


def test_pages_send_a_signed_out_user_to_the_login_page_and_back(console, staff):
    response = console.get("/console/claims/?state=submitted")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=")
    signed_in = console.post("/console/login", {"username": staff.username, "password": "correct-horse-battery",
                                                "next": "/console/claims/?state=submitted"})
    assert signed_in.headers["Location"] == "/console/claims/?state=submitted"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/console/", "/auth/token", "/console\\@x",
    "/console/\r\nSet-Cookie: a=b", "/console/\nLocation: https://evil.example/", "/console/\x00", "/console/\t//evil",
])
def test_login_never_redirects_outside_the_console(console, staff, target):
    response = console.post("/console/login", {"username": staff.username, "password": "correct-horse-battery",
                                               "next": target})
    assert response.headers["Location"] == "/console/"


def test_repeated_failed_logins_are_limited_even_for_the_right_password(console, staff):
    statuses = [console.login(staff, password=f"wrong-password-{n}").status_code for n in range(5)]
    assert statuses == [401] * 5
    blocked = console.login(staff)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "요청이 너무 많습니다. 잠시 후 다시 시도하세요." in text_of(blocked)
    assert redirect_of(console.get("/console/")) == SIGNED_OUT


def test_successful_logins_do_not_count_toward_the_limit(console, staff):
    assert [redirect_of(console.login(staff)) for _ in range(7)] == [(303, "/console/")] * 7


def test_logout_ends_the_session_and_is_audited(console, staff, session):
    console.login(staff)
    response = console.post("/console/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/console/login"
    assert "로그아웃되었습니다." in text_of(console.get("/console/login"))
    assert redirect_of(console.get("/console/")) == SIGNED_OUT
    assert _audit_count(session, "console.sign_out") == 1


def test_login_starts_a_fresh_session_with_a_new_csrf_secret(console, staff):
    before = console.csrf()
    console.set_session(planted="by an attacker")
    console.login(staff)
    assert console.csrf() != before
    assert console.session_value("planted") is None


# --- expiry -------------------------------------------------------------------------------------

def _ago(**delta) -> float:
    return (utc_now() - timedelta(**delta)).timestamp()


def test_a_session_idle_past_the_timeout_expires(console, staff):
    console.login(staff)
    console.set_session(console_seen_at=_ago(minutes=31))
    response = console.get("/console/")
    assert redirect_of(response) == SIGNED_OUT
    assert "로그인이 만료되었습니다" in text_of(console.get("/console/login"))
    assert console.session_value("console_user_id") is None
    assert redirect_of(console.get("/console/")) == SIGNED_OUT


def test_activity_keeps_the_session_alive(console, staff):
    console.login(staff)
    console.set_session(console_seen_at=_ago(minutes=29))
    assert console.get("/console/").status_code == 200
    assert console.session_value("console_seen_at") > _ago(minutes=1)


def test_a_busy_session_still_ends_after_its_absolute_lifetime(console, staff):
    console.login(staff)
    console.set_session(console_started_at=_ago(hours=12, minutes=1), console_seen_at=_ago(minutes=1))
    assert redirect_of(console.get("/console/")) == SIGNED_OUT


def test_timeouts_are_configurable(app, console, staff):
    app.config["CONSOLE_IDLE_MINUTES"] = 5
    console.login(staff)
    console.set_session(console_seen_at=_ago(minutes=6))
    assert redirect_of(console.get("/console/")) == SIGNED_OUT


def test_timeouts_and_the_secure_cookie_come_from_the_environment(monkeypatch, tmp_path):
    from mileage.config import load_config

    monkeypatch.setenv("MILEAGE_CONSOLE_IDLE_MINUTES", "10")
    monkeypatch.setenv("MILEAGE_CONSOLE_MAX_HOURS", "8")
    config = load_config(str(tmp_path))
    assert (config["CONSOLE_IDLE_MINUTES"], config["CONSOLE_MAX_HOURS"]) == (10, 8)
    assert config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("MILEAGE_ENV", "production")
    production = {
        "SECRET_KEY": "Qm3v9-Xr7TzLp2Wd8Yk4Hs6Nc1Bf5Gj0Ua",
        "TOKEN_SIGNING_KEY": "Zt8Kq2Lm5Vx9Rp3Wn7Yc1Hd4Gs6Fb0Ju",
        "DATABASE_URL": "sqlite://",
    }
    assert load_config(str(tmp_path), production)["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("MILEAGE_SECURE_COOKIES", "0")
    assert load_config(str(tmp_path), production)["SESSION_COOKIE_SECURE"] is False


def test_an_expired_session_cannot_post(console, staff, make, session):
    claim = make.claim()
    console.login(staff)
    console.set_session(console_seen_at=_ago(hours=1))
    response = console.post("/console/claims/approve", {"claim_id": claim.id})
    assert redirect_of(response) == (302, "/console/login")
    session.refresh(claim)
    assert claim.state == ClaimState.SUBMITTED


def test_a_deactivated_account_is_signed_out_at_its_next_request(console, staff, session):
    console.login(staff)
    staff.is_active = False
    session.flush()
    assert redirect_of(console.get("/console/")) == SIGNED_OUT


# --- CSRF ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "forged-token", "x" * 43])
def test_a_form_without_the_csrf_secret_is_refused_and_changes_nothing(console, staff, make, session, token):
    claims = [make.claim() for _ in range(2)]
    console.login(staff)
    entries_before = session.scalar(select(func.count()).select_from(JournalEntry))
    audits_before = _audit_count(session)
    data = {"claim_id": [claim.id for claim in claims]}
    if token is not None:
        data["csrf_token"] = token
    response = console.post("/console/claims/approve", data, csrf=False)
    assert response.status_code == 400
    assert "보안 확인 값이 없거나 맞지 않아 요청을 거부했습니다. 아무것도 바뀌지 않았습니다." in text_of(response)
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries_before
    assert _audit_count(session) == audits_before
    for claim in claims:
        session.refresh(claim)
        assert claim.state == ClaimState.SUBMITTED
        assert ledger.get_balance(session, claim.volunteer.cards[0].account_id) == 0


def test_another_browsers_csrf_secret_does_not_work(app, console, staff, make, session):
    other = ConsoleClient(app.test_client())
    foreign_token = other.csrf()
    claim = make.claim()
    console.login(staff)
    response = console.post("/console/claims/approve", {"claim_id": claim.id, "csrf_token": foreign_token})
    assert response.status_code == 400
    assert session.scalar(select(Claim.state).where(Claim.id == claim.id)) == ClaimState.SUBMITTED


def test_login_and_language_forms_need_the_csrf_secret_too(console, staff):
    login = console.post("/console/login", {"username": staff.username, "password": "correct-horse-battery"},
                         csrf=False)
    assert login.status_code == 400
    assert console.post("/console/language", {"lang": "en"}, csrf=False).status_code == 400
    assert console.session_value("console_lang") is None


# --- auditors -----------------------------------------------------------------------------------

def _console_post_routes(app) -> list[str]:
    """Every POST route of the console, ids filled in, except sign-in, sign-out, language and the catch-all."""
    own_session = {"/console/login", "/console/logout", "/console/language", "/console/account/password"}
    return [
        re.sub(r"<int:[a-z_]+>", "1", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/console/") and "POST" in rule.methods
        and rule.rule not in own_session and "<path:" not in rule.rule
    ]


def test_an_auditor_is_refused_every_console_post_and_nothing_changes(app, console, make, session):
    auditor = make.user(role="auditor")
    claim = make.claim()
    console.login(auditor)
    audits_before = _audit_count(session)
    routes = _console_post_routes(app)
    assert "/console/claims/approve" in routes and "/console/donations/campaigns/1/run" in routes
    for path in routes:
        response = console.post(path, {"claim_id": claim.id, "reason": "감사 중", "name": "테스트"})
        assert response.status_code == 403, path
        assert "감사자 계정은 조회만 할 수 있습니다." in text_of(response)
    assert _audit_count(session) == audits_before
    session.refresh(claim)
    assert claim.state == ClaimState.SUBMITTED


def test_an_auditor_reads_pages_without_write_buttons(console, make):
    make.claim()
    auditor = make.user(role="auditor", display_name="감사 담당")
    console.login(auditor)
    queue = console.get("/console/claims/")
    assert queue.status_code == 200
    html = queue.get_data(as_text=True)
    assert "data-claim-id" in html
    assert "선택한 신청 승인" not in html and "반려하기" not in html and 'name="claim_id"' not in html
    assert "조회 전용" in text_of(queue)
    # An auditor may still sign out and switch the language.
    assert redirect_of(console.post("/console/language", {"lang": "en"})) == (303, "/console/")
    assert redirect_of(console.post("/console/logout")) == (303, "/console/login")


@pytest.mark.parametrize("role", ["auditor", "staff"])
def test_no_page_offers_an_auditor_a_form_that_changes_anything(console, make, session, role):
    from mileage.audit import SYSTEM_ACTOR
    from mileage.donations import campaigns

    card = make.card(balance=3000)
    claim = make.claim(volunteer=card.volunteer)
    cause = make.cause()
    merchant = make.merchant()
    campaign = campaigns.create_campaign(
        session, name="연말 나눔", cause_id=cause.id, points_per_volunteer=1000, consent_method="written",
        selection=campaigns.CampaignSelection(volunteer_ids=(card.volunteer_id,)), consent_note="동의서",
        actor=SYSTEM_ACTOR,
    )
    console.login(make.user(role=role))
    pages = [
        "/console/", "/console/claims/", "/console/volunteers/", f"/console/volunteers/{card.volunteer_id}",
        "/console/organisations/", f"/console/organisations/{claim.organisation_id}", "/console/merchants/",
        f"/console/merchants/{merchant.id}", "/console/donations/", f"/console/donations/causes/{cause.id}",
        "/console/donations/campaigns", f"/console/donations/campaigns/{campaign.id}", "/console/donations/list",
        "/console/donations/disbursements", "/console/reports/?report=settlement", "/console/audit/",
    ]
    for path in pages:
        response = console.get(path)
        assert response.status_code == 200, path
        actions = set(re.findall(r'<form method="post" action="([^"]+)"', response.get_data(as_text=True)))
        own_session = {"/console/language", "/console/logout"}
        if role == "auditor":
            assert actions == own_session, path
        elif path not in ("/console/", "/console/volunteers/", "/console/donations/list", "/console/audit/"):
            assert actions > own_session, path  # the same page offers staff its actions


# --- language -----------------------------------------------------------------------------------

def test_the_language_switch_is_kept_in_the_session(console, staff):
    console.login(staff)
    assert "대시보드" in text_of(console.get("/console/"))
    response = console.post("/console/language", {"lang": "en", "_back": "/console/claims/"})
    assert response.status_code == 303 and response.headers["Location"] == "/console/claims/"
    english = console.get("/console/claims/")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Hours approval" in text_of(english) and "봉사 시간 승인" not in text_of(english)
    console.post("/console/language", {"lang": "ko"})
    assert "봉사 시간 승인" in text_of(console.get("/console/claims/"))


def test_the_language_survives_sign_out_and_shows_errors_in_english(console, staff):
    console.post("/console/language", {"lang": "en"})
    assert console.login(staff, password="wrong-password-1").status_code == 401
    assert "Wrong username or password." in text_of(console.login(staff, password="wrong-password-2"))


def test_an_unknown_language_is_ignored(console, staff):
    console.login(staff)
    console.post("/console/language", {"lang": "fr"})
    assert '<html lang="ko">' in console.get("/console/").get_data(as_text=True)


# --- error pages --------------------------------------------------------------------------------

def test_an_unknown_console_page_is_a_friendly_korean_404(console, staff):
    console.login(staff)
    response = console.get("/console/no-such-page")
    assert response.status_code == 404
    assert "요청한 주소를 찾을 수 없습니다." in text_of(response)
    assert response.mimetype == "text/html"


def test_a_domain_error_on_a_page_is_shown_in_korean(console, staff):
    console.login(staff)
    response = console.get("/console/volunteers/999999")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "봉사자" in text_of(response) and "요청 번호" in text_of(response)


def test_an_id_too_large_for_the_database_is_refused_not_a_crash(console, staff, session):
    console.login(staff)
    assert console.get(f"/console/volunteers/{2**63}").status_code == 404
    entries_before = session.scalar(select(func.count()).select_from(JournalEntry))
    audits_before = _audit_count(session)
    refused = console.post("/console/claims/approve", {"claim_id": str(10**25)})
    assert refused.status_code == 422
    assert "입력값을 확인하세요: 승인할 신청" in text_of(refused)
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries_before
    assert _audit_count(session) == audits_before


def test_a_bad_filter_is_a_korean_422_not_a_crash(console, staff):
    console.login(staff)
    response = console.get("/console/claims/?date_from=2025-13-45")
    assert response.status_code == 422
    assert "입력값을 확인하세요: 시작일" in text_of(response)
    forged_cursor = console.get("/console/claims/?cursor=not-a-cursor")
    assert forged_cursor.status_code == 422 and "페이지 커서가 올바르지 않습니다." in text_of(forged_cursor)


def test_a_value_the_database_refuses_is_a_korean_422_page(console, staff, monkeypatch):
    from mileage.reports import dashboard

    def too_large(*args, **kwargs):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(dashboard, "month_overview", too_large)
    console.login(staff)
    response = console.get("/console/")
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "입력값을 확인하세요." in text_of(response)


def test_an_unexpected_failure_renders_the_friendly_page(console, staff, monkeypatch):
    from mileage.reports import dashboard

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard, "month_overview", broken)
    console.login(staff)
    response = console.get("/console/")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "일시적인 오류가 발생했습니다." in text_of(response) and "boom" not in text_of(response)


def test_a_control_character_in_next_is_ignored_not_a_500(console, staff):
    page = console.get("/console/login?next=/console/%0d%0aSet-Cookie:%20a=b")
    assert page.status_code == 200
    signed_in = console.post("/console/login", {"username": staff.username, "password": "correct-horse-battery",
                                                "next": "/console/claims/\r\n"})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/console/"


def test_a_reset_password_sends_the_user_to_change_it_instead_of_signing_in(console, staff, session):
    from mileage.audit import SYSTEM_ACTOR
    from mileage.people.users import reset_password

    reset_password(session, staff.id, actor=SYSTEM_ACTOR, temporary_password="temporary-pass-1")
    response = console.login(staff, password="temporary-pass-1")
    assert response.status_code == 403
    assert "비밀번호가 초기화되었습니다" in text_of(response)
    assert redirect_of(console.get("/console/")) == SIGNED_OUT
