"""The volunteer's statement as CSV: Excel-friendly bytes, one row per movement, a running balance."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.claims import review, submission
from mileage.claims.rules import ClaimPolicy, ClaimRequest
from mileage.ledger import posting
from mileage.models import AccountKind

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def me(make, login):
    card = make.card()
    user = make.user(role="volunteer", volunteer_id=card.volunteer_id)
    return card, login(user)


@contextmanager
def posted_at(*parts):
    """Post ledger entries at a chosen UTC instant."""
    moment = datetime(*parts, tzinfo=UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(posting, "utc_now", lambda: moment)
        yield


def rows_of(response) -> list[list[str]]:
    assert response.data.startswith(BOM)
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def approve_hours(session, card, organisation, *, start_minute: int, minutes: int):
    """Submit and approve hours worked on 2024-03-01 (a policy with a long claim window lets them in)."""
    request = ClaimRequest(
        volunteer_id=card.volunteer_id,
        organisation_id=organisation.id,
        work_date=date(2024, 3, 1),
        start_minute=start_minute,
        end_minute=start_minute + minutes,
        category="복지",
    )
    policy = ClaimPolicy(claim_window_days=100_000)
    claim = submission.submit_claim(session, request, actor=SYSTEM_ACTOR, policy=policy)
    return review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR, policy=policy)


def move(session, *, kind: str, source: int, target: int, points: int, memo: str = ""):
    return ledger.transfer(
        session, kind=kind, from_account_id=source, to_account_id=target, amount=points, memo=memo
    )


@pytest.fixture
def history(session, make, me):
    """Hours at two organisations, a discount, a partial refund and a donation over four Seoul days."""
    card, _ = me
    library = make.organisation(name="노원 어린이도서관")
    centre = make.organisation(name="상계 노인복지관")
    shop = ledger.open_account(session, AccountKind.MERCHANT, f"merchant:statement:{card.id}")
    food_bank = ledger.open_account(session, AccountKind.CAUSE, f"cause:statement:{card.id}")
    with posted_at(2024, 3, 1, 1):  # 10:00 in Seoul
        approve_hours(session, card, library, start_minute=540, minutes=150)
    with posted_at(2024, 3, 1, 15, 30):  # 00:30 on 2024-03-02 in Seoul: already the next day there
        approve_hours(session, card, centre, start_minute=720, minutes=60)
    with posted_at(2024, 3, 3, 5):
        move(session, kind="redemption", source=card.account_id, target=shop.id, points=1200,
             memo='=HYPERLINK("x") 빵집')
    with posted_at(2024, 3, 4, 5):
        move(session, kind="redemption_refund", source=shop.id, target=card.account_id, points=200, memo="부분 환불")
    with posted_at(2024, 3, 4, 6):
        move(session, kind="donation", source=card.account_id, target=food_bank.id, points=500, memo="노원 푸드뱅크")
    return SimpleNamespace(card=card, shop=shop)


def test_statement_is_a_utf8_csv_with_bom_sent_as_an_attachment(client, me, history):
    _, headers = me
    response = client.get("/me/statement.csv", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="mileage-statement-')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(BOM + "날짜".encode())


def test_statement_lists_every_movement_in_order_with_a_running_balance(client, me, history):
    _, headers = me
    rows = rows_of(client.get("/me/statement.csv", headers=headers))
    assert rows == [
        ["날짜", "구분", "기관", "봉사시간(시간)", "봉사시간(분)", "포인트", "잔액", "내용"],
        ["2024-03-01", "봉사 적립", "노원 어린이도서관", "2.50", "150", "2500", "2500", "복지"],
        ["2024-03-02", "봉사 적립", "상계 노인복지관", "1.00", "60", "1000", "3500", "복지"],
        ["2024-03-03", "가맹점 할인", "", "", "", "-1200", "2300", "'=HYPERLINK(\"x\") 빵집"],
        ["2024-03-04", "할인 환불", "", "", "", "200", "2500", "부분 환불"],
        ["2024-03-04", "기부", "", "", "", "-500", "2000", "노원 푸드뱅크"],
    ]
    # The last running balance is what the card holds.
    assert client.get("/me/card", headers=headers).json["balance"] == 2000


def test_statement_between_two_seoul_days_starts_from_the_balance_before_them(client, me, history):
    _, headers = me
    rows = rows_of(client.get("/me/statement.csv?from=2024-03-02&to=2024-03-03", headers=headers))
    assert [row[:2] + row[5:7] for row in rows[1:]] == [
        ["2024-03-02", "이월 잔액", "", "2500"],
        ["2024-03-02", "봉사 적립", "1000", "3500"],
        ["2024-03-03", "가맹점 할인", "-1200", "2300"],
    ]


def test_a_reissue_moves_points_between_my_own_cards_and_is_not_a_statement_line(client, session, me, history):
    card, headers = me
    with posted_at(2024, 3, 5, 5):
        lifecycle.report_lost(session, card.id, actor=SYSTEM_ACTOR)
        new_card = lifecycle.reissue_card(session, card.id, actor=SYSTEM_ACTOR).card
    with posted_at(2024, 3, 6, 5):
        move(session, kind="redemption", source=new_card.account_id, target=history.shop.id, points=300)
    rows = rows_of(client.get("/me/statement.csv?from=2024-03-04", headers=headers))
    assert [row[1] for row in rows[1:]] == ["이월 잔액", "할인 환불", "기부", "가맹점 할인"]
    assert [row[6] for row in rows[1:]] == ["2300", "2500", "2000", "1700"]


def test_statement_headers_follow_accept_language(client, me, history):
    _, headers = me
    rows = rows_of(client.get("/me/statement.csv", headers={**headers, "Accept-Language": "en"}))
    assert rows[0] == ["date", "type", "organisation", "hours", "minutes", "points", "balance", "memo"]
    assert rows[1][1] == "hours credited"


def test_an_empty_statement_has_only_its_header(client, me):
    _, headers = me
    assert rows_of(client.get("/me/statement.csv", headers=headers)) == [
        ["날짜", "구분", "기관", "봉사시간(시간)", "봉사시간(분)", "포인트", "잔액", "내용"]
    ]


def test_a_statement_period_must_be_in_order(client, me):
    _, headers = me
    response = client.get("/me/statement.csv?from=2024-03-05&to=2024-03-01", headers=headers)
    assert response.status_code == 422 and "to" in response.json["errors"]
    bad = client.get("/me/statement.csv?from=yesterday", headers=headers)
    assert bad.status_code == 422 and "from" in bad.json["errors"]


def test_another_volunteers_movements_never_reach_my_statement(client, session, make, me, history):
    _, headers = me
    other = make.card(balance=777)
    with posted_at(2024, 3, 3, 6):
        move(session, kind="redemption", source=other.account_id, target=history.shop.id, points=77)
    rows = rows_of(client.get("/me/statement.csv", headers=headers))
    assert [row[5] for row in rows[1:]] == ["2500", "1000", "-1200", "200", "-500"]
