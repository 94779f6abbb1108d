"""Staff console: the dashboard's figures and chart, reports with CSV download, and the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from admin.console.overview import MonthFigures, bar_chart, nice_ceiling
from mileage.clock import seoul_today
from mileage.donations import donate
from mileage.models import Account, AccountKind, AuditEvent, SettlementClosure
from mileage.shops import counter, redemptions
from tests.api.console_client import ConsoleClient, redirect_of, text_of


@pytest.fixture
def console(client, make):
    console = ConsoleClient(client)
    console.staff = make.user(role="staff", username="jung.reports")
    console.login(console.staff)
    return console


def _figure(page, name: str) -> str:
    html = page.get_data(as_text=True)
    block = re.search(rf'data-figure="{name}".*?<div class="value"[^>]*>([^<]+)</div>', html, re.S)
    return block.group(1).strip()


def test_the_dashboard_figures_match_the_ledger(console, make, session, app):
    volunteers = [make.card().volunteer for _ in range(2)]
    claims = [make.claim(volunteer=volunteer, minutes=120) for volunteer in volunteers]
    console.post("/console/claims/approve", {"claim_id": [claim.id for claim in claims]})
    make.claim()  # still waiting
    cause = make.cause()
    donate.donate_points(session, volunteer_id=volunteers[0].id, cause_id=cause.id, points=700)
    merchant = make.merchant()
    terminal = make.terminal(merchant).terminal
    card = make.card(balance=10000, pin="1357")
    redemptions.redeem(session, app.extensions["mileage.token_signer"],
                       counter.Till(merchant.id, terminal.id), scanned=card.number, purchase_amount=15000,
                       pin="1357")

    page = console.get("/console/")
    assert _figure(page, "issued") == "14,000점"  # two approvals of 2,000 and the 10,000 seeded from issuance
    assert _figure(page, "redeemed") == "1,500점"
    assert _figure(page, "donated") == "700점"
    assert _figure(page, "waiting") == "1건"
    assert _figure(page, "active") == "2명"
    liability = session.scalar(select(func.sum(Account.balance)).where(Account.kind == str(AccountKind.CARD)))
    assert _figure(page, "liability") == f"{liability:,}점"
    month = seoul_today().strftime("%Y-%m")
    html = page.get_data(as_text=True)
    assert f'data-month="{month}" data-series="used" data-value="2200"' in html


def test_nice_ceiling_and_bar_geometry():
    assert [nice_ceiling(value) for value in (0, 1, 7, 10, 11, 230, 999, 1001, 45_000)] == [
        1, 1, 10, 10, 20, 500, 1000, 2000, 50_000]
    chart = bar_chart([MonthFigures("2025-01", 500, 250), MonthFigures("2025-02", 1000, 0)])
    issued = [bar for bar in chart.bars if bar.series == "issued"]
    used = [bar for bar in chart.bars if bar.series == "used"]
    assert issued[1].height == pytest.approx(2 * issued[0].height, abs=0.2)
    assert used[0].height == pytest.approx(issued[0].height / 2, abs=0.2) and used[1].height == 0
    assert all(bar.y + bar.height == pytest.approx(chart.baseline, abs=0.2) for bar in chart.bars)
    assert [line.value for line in chart.grid] == [0, 250, 500, 750, 1000]


@pytest.mark.parametrize("report", ["movements", "hours", "volunteers", "top_volunteers", "donations",
                                    "shop_accounts", "settlement"])
def test_every_report_renders(console, make, report):
    claim = make.claim(minutes=180, category="교육")
    console.post("/console/claims/approve", {"claim_id": claim.id})
    response = console.get(f"/console/reports/?report={report}")
    assert response.status_code == 200, text_of(response)[:300]
    assert "<table" in response.get_data(as_text=True) or "해당 기간에 자료가 없습니다." in text_of(response)


def test_a_report_of_one_month(console, make):
    console.post("/console/claims/approve", {"claim_id": make.claim(minutes=60).id})
    first = seoul_today().replace(day=1)
    page = console.get(f"/console/reports/?report=movements&start={first}&end={seoul_today()}")
    assert page.status_code == 200
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", page.get_data(as_text=True), re.S).group(1)
    assert f"<td class=\"\">{first.strftime('%Y-%m')}</td>" in row and "1,000" in row


def test_the_hours_report_groups_and_downloads_as_csv(console, make):
    centre = make.organisation(name="하계 종합사회복지관")
    for minutes in (60, 120):
        console.post("/console/claims/approve", {"claim_id": make.claim(organisation=centre, minutes=minutes,
                                                                        category="교육").id})
    page = text_of(console.get("/console/reports/?report=hours&group_by=organisation"))
    assert "하계 종합사회복지관" in page and "180" in page and "3,000" in page
    csv_response = console.get("/console/reports/?report=hours&group_by=organisation&format=csv")
    assert csv_response.mimetype == "text/csv"
    assert "attachment;" in csv_response.headers["Content-Disposition"]
    body = csv_response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "기관,승인 건수,봉사시간(분),적립 포인트,취소 건수,취소 시간(분),회수 포인트"
    assert "하계 종합사회복지관,2,180,3000,0,0,0" in lines
    assert lines[-1].startswith("합계,")


def test_csv_headings_follow_the_console_language(console):
    console.post("/console/language", {"lang": "en"})
    body = console.get("/console/reports/?report=movements&format=csv").get_data().decode("utf-8-sig")
    assert body.splitlines()[0].startswith("month,issued,reversed")


def test_closing_a_settlement_period(console, make, session):
    make.merchant(name="공릉 빵집")
    last_month = seoul_today().replace(day=1) - timedelta(days=1)
    response = console.post("/console/reports/settlement/close", {"period_kind": "month",
                                                                  "day": last_month.isoformat()})
    assert redirect_of(response) == (303, "/console/reports/?report=settlement")
    assert session.scalar(select(func.count()).select_from(SettlementClosure)) >= 1
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "settlement.close")).first() is not None
    csv_body = console.get(f"/console/reports/?report=settlement&start={last_month.replace(day=1)}"
                           f"&end={last_month}&format=csv").get_data().decode("utf-8-sig")
    assert "공릉 빵집" in csv_body


def test_a_report_period_that_is_too_long_is_refused_in_korean(console):
    response = console.get("/console/reports/?report=movements&start=2000-01-01&end=2025-01-01")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "보고서 기간이 올바르지 않습니다. (시작일 ≤ 종료일, 최대 120개월)" in text_of(response)


def test_the_audit_log_filters_and_pages(console, make, session, monkeypatch):
    from admin.console import audit_pages

    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 2)
    claims = [make.claim() for _ in range(3)]
    console.post("/console/claims/approve", {"claim_id": [claim.id for claim in claims]})
    first = console.get("/console/audit/?action=claim.approve")
    html = first.get_data(as_text=True)
    assert html.count('data-action="claim.approve"') == 2
    assert "봉사 신청 승인" in text_of(first) and "jung.reports" in text_of(first)
    next_link = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    second = console.get(next_link).get_data(as_text=True)
    assert second.count('data-action="claim.approve"') == 1
    by_target = console.get(f"/console/audit/?target_type=claim&target_id={claims[0].id}").get_data(as_text=True)
    events_of_that_claim = session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "claim", AuditEvent.target_id == str(claims[0].id))
    ).all()
    assert by_target.count('data-action="claim.approve"') == 1
    assert by_target.count("data-action=") == len(events_of_that_claim) == 2  # submitted, approved


def test_an_auditor_reads_reports_and_the_audit_log(client, make):
    auditor = ConsoleClient(client)
    auditor.login(make.user(role="auditor"))
    assert auditor.get("/console/reports/?report=settlement").status_code == 200
    assert "정산 마감" not in text_of(auditor.get("/console/reports/?report=settlement"))
    assert auditor.get("/console/audit/").status_code == 200
    assert auditor.get("/console/reports/?report=movements&format=csv").status_code == 200
