"""The reports API: JSON figures, CSV downloads, periods and who may read them."""

import csv
import io

import pytest

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.claims import review
from mileage.clock import seoul_today
from mileage.donations import disbursements, donate
from mileage.models import Account


@pytest.fixture
def auditor(login_as):
    return login_as("auditor")[1]


@pytest.fixture
def this_month(session, make):
    """A little activity today: two approved claims, a redemption, a refund, a donation, a disbursement."""
    organisation = make.organisation(name="노원 종합사회복지관")
    card = make.card()
    for start in (9 * 60, 14 * 60):
        claim = make.claim(volunteer=card.volunteer, organisation=organisation, start_minute=start, minutes=90,
                           category="환경")
        review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    merchant = make.merchant(name="노원 꽃집")
    shop = session.get(Account, merchant.account_id)
    ledger.transfer(session, kind="redemption", from_account_id=card.account_id, to_account_id=shop.id, amount=800)
    ledger.transfer(session, kind="refund", from_account_id=shop.id, to_account_id=card.account_id, amount=300)
    cause = make.cause(name="=HYPERLINK(\"http://evil\")")
    donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=500)
    disbursements.record_disbursement(session, cause_id=cause.id, points=200, memo="전달", actor=SYSTEM_ACTOR)
    return {"card": card, "organisation": organisation, "cause": cause, "shop": shop, "merchant": merchant}


def month_query():
    today = seoul_today()
    return f"from={today.replace(day=1).isoformat()}&to={today.isoformat()}"


def read_csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # Excel reads the Korean only with the BOM
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_movements_as_json(client, this_month, auditor):
    response = client.get(f"/admin/reports/movements?{month_query()}", headers=auditor)
    assert response.status_code == 200
    [row] = response.json["rows"]
    assert row["month"] == seoul_today().strftime("%Y-%m")
    assert {name: row[name] for name in ("issued", "redeemed", "refunded", "donated", "disbursed", "expired")} == {
        "issued": 3000, "redeemed": 800, "refunded": 300, "donated": 500, "disbursed": 200, "expired": 0,
    }
    assert row["liability_end"] - row["liability_start"] == 3000 - 800 + 300 - 500
    assert response.json["from"] == seoul_today().replace(day=1).isoformat()


def test_movements_as_csv_in_korean_and_english(client, this_month, auditor):
    korean = read_csv(client.get(f"/admin/reports/movements?{month_query()}&format=csv", headers=auditor))
    assert korean[0][:4] == ["월", "적립", "적립 취소", "가맹점 사용"]
    assert korean[1][0] == seoul_today().strftime("%Y-%m") and korean[1][1] == "3000"
    assert korean[-1][0] == "합계"
    english = read_csv(client.get(f"/admin/reports/movements?{month_query()}&format=csv",
                                  headers={**auditor, "Accept-Language": "en"}))
    assert english[0][:2] == ["month", "issued"] and english[-1][0] == "total"
    disposition = client.get(f"/admin/reports/movements?{month_query()}&format=csv", headers=auditor).headers
    assert disposition["Content-Disposition"].startswith('attachment; filename="movements-')


def test_hours_grouped_as_asked(client, this_month, auditor):
    organisation = this_month["organisation"]
    full = client.get(f"/admin/reports/hours?{month_query()}", headers=auditor).json
    assert [(r["organisation_name"], r["category"], r["claims"], r["minutes"], r["points"]) for r in full["rows"]] == [
        ("노원 종합사회복지관", "환경", 2, 180, 3000)
    ]
    by_organisation = client.get(f"/admin/reports/hours?{month_query()}&group_by=organisation", headers=auditor).json
    assert by_organisation["rows"] == [
        {"month": None, "organisation_id": organisation.id, "organisation_name": "노원 종합사회복지관",
         "category": None, "claims": 2, "minutes": 180, "points": 3000, "reversed_claims": 0,
         "reversed_minutes": 0, "reversed_points": 0}
    ]
    table = read_csv(client.get(f"/admin/reports/hours?{month_query()}&group_by=category&format=csv",
                                headers=auditor))
    assert table[0][0] == "분야" and "기관" not in table[0] and "월" not in table[0]


def test_csv_cells_never_run_as_formulas(client, this_month, auditor):
    table = read_csv(client.get(f"/admin/reports/donations?{month_query()}&format=csv", headers=auditor))
    assert table[1][2] == "'=HYPERLINK(\"http://evil\")"
    json_rows = client.get(f"/admin/reports/donations?{month_query()}", headers=auditor).json["rows"]
    assert json_rows[0]["cause_name"] == "=HYPERLINK(\"http://evil\")"  # JSON carries the name unchanged
    assert (json_rows[0]["donated"], json_rows[0]["disbursed"]) == (500, 200)


def test_shop_accounts_names_each_shop(client, this_month, auditor):
    merchant, shop = this_month["merchant"], this_month["shop"]
    rows = client.get(f"/admin/reports/shop-accounts?{month_query()}", headers=auditor).json["rows"]
    mine = [row for row in rows if row["account_id"] == shop.id]
    assert mine == [{
        "month": seoul_today().strftime("%Y-%m"), "merchant_id": merchant.id, "merchant_name": "노원 꽃집",
        "account_id": shop.id, "account_code": shop.code, "redemptions": 1, "redeemed": 800, "refunds": 1,
        "refunded": 300, "net": 500,
    }]


def test_shop_accounts_csv_shows_the_shop_name_and_id(client, this_month, auditor):
    merchant = this_month["merchant"]
    korean = read_csv(client.get(f"/admin/reports/shop-accounts?{month_query()}&format=csv", headers=auditor))
    # No internal account code ("merchant:...") in a file people read: the shop's number and name say it.
    assert korean[0][:4] == ["월", "가맹점 번호", "가맹점", "사용 건수"]
    [mine] = [line for line in korean[1:] if line[2] == "노원 꽃집"]
    assert mine[1] == str(merchant.id) and mine[3:] == ["1", "800", "1", "300", "500"]
    assert not any("merchant:" in cell for line in korean for cell in line)
    english = read_csv(client.get(f"/admin/reports/shop-accounts?{month_query()}&format=csv",
                                  headers={**auditor, "Accept-Language": "en"}))
    assert english[0][:3] == ["month", "shop id", "shop"]


def test_volunteers_and_top_volunteers(client, this_month, auditor):
    activity = client.get(f"/admin/reports/volunteers?{month_query()}", headers=auditor).json
    assert activity["totals"]["active_volunteers"] == 1 and activity["rows"][0]["active_volunteers"] == 1
    assert activity["totals"]["new_volunteers"] >= 1
    top = client.get(f"/admin/reports/top-volunteers?{month_query()}&limit=3", headers=auditor).json["rows"]
    assert [(row["rank"], row["volunteer_id"], row["minutes"], row["points"]) for row in top] == [
        (1, this_month["card"].volunteer_id, 180, 3000)
    ]


def test_liability_today_is_every_card_balance(client, session, this_month, auditor):
    body = client.get("/admin/reports/liability", headers=auditor).json
    assert body["as_of"] == seoul_today().isoformat()
    assert body["liability"] == ledger.get_balance(session, this_month["card"].account_id) == 2000
    before = client.get("/admin/reports/liability?as_of=2000-01-01", headers=auditor).json
    assert before == {"as_of": "2000-01-01", "liability": 0}


def test_the_period_defaults_to_this_year_and_is_checked(client, auditor):
    body = client.get("/admin/reports/volunteers", headers=auditor).json
    assert body["from"] == seoul_today().replace(month=1, day=1).isoformat()
    assert body["to"] == seoul_today().isoformat()
    backwards = client.get("/admin/reports/movements?from=2026-05-01&to=2026-04-30", headers=auditor)
    assert backwards.status_code == 422 and backwards.json["code"] == "invalid_report_period"
    too_long = client.get("/admin/reports/movements?from=1990-01-01&to=2026-01-01", headers=auditor)
    assert too_long.status_code == 422 and too_long.json["code"] == "invalid_report_period"


@pytest.mark.parametrize(
    "query, field",
    [("group_by=week", "group_by"), ("format=xlsx", "format"), ("from=yesterday", "from")],
)
def test_bad_report_arguments_are_validation_errors(client, auditor, query, field):
    response = client.get(f"/admin/reports/hours?{query}", headers=auditor)
    assert response.status_code == 422 and field in response.json["errors"]


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_reports_are_for_staff_and_auditors_only(client, login_as, role):
    _, headers = login_as(role)
    response = client.get("/admin/reports/movements", headers=headers)
    assert response.status_code == 403 and response.json["code"] == "role_not_allowed"


def test_the_programme_reports_answer_json_and_csv(client, login_as):
    _, auditor = login_as("auditor")
    for path in ("withheld", "tiers", "tier-movements", "benefit-uses"):
        answer = client.get(f"/admin/reports/{path}", headers=auditor)
        assert answer.status_code == 200, (path, answer.json)
        assert "rows" in answer.json
        csv_answer = client.get(f"/admin/reports/{path}?format=csv", headers=auditor)
        assert csv_answer.status_code == 200 and csv_answer.mimetype == "text/csv"
        assert csv_answer.data.startswith("\ufeff".encode())
    headings = client.get("/admin/reports/withheld?format=csv", headers=auditor).data.decode("utf-8-sig")
    assert headings.splitlines()[0].startswith("월,승인 건수,한도 적용 건수")
