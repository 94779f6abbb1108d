"""The partner-shop API over HTTP: terminal sign-in, quote, redeem, every refusal with its code, refunds,
holds, lists, till and settlement."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards.qr import QR_TOKEN_TYPE, issue_qr_token
from mileage.clock import seoul_today, utc_now
from mileage.models import Card, MerchantStatus
from mileage.people.tokens import TokenSigner
from mileage.shops import counter, holds, merchants, offers, redemptions, terminals

# 10 %, at most 3,000 points, from 5,000 won.
OFFER = {"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000}


@dataclass
class Shop:
    merchant: object
    key_id: str
    secret: str
    terminal_id: int
    headers: dict

    @property
    def till(self) -> counter.Till:
        return counter.Till(self.merchant.id, self.terminal_id)


@pytest.fixture
def signer(app) -> TokenSigner:
    return app.extensions["mileage.token_signer"]


@pytest.fixture
def open_shop(make, login):
    def create(**offer) -> Shop:
        merchant = make.merchant(offer={**OFFER, **offer})
        credentials = make.terminal(merchant)
        terminal = credentials.terminal
        return Shop(merchant, terminal.key_id, credentials.secret, terminal.id,
                    login(terminals.terminal_principal(terminal)))

    return create


@pytest.fixture
def shop(open_shop) -> Shop:
    return open_shop()


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["code"] == code
    assert response.json["message"] and response.json["status"] == status


def scan_body(scanned: str, purchase: int = 20_000, **extra) -> dict:
    return {"scanned": scanned, "purchase_amount": purchase, **extra}


def redeem(client, shop: Shop, scanned: str, purchase: int = 20_000, key: str | None = None, **extra):
    headers = {**shop.headers, "Idempotency-Key": key or f"sale-{secrets.token_hex(8)}"}
    return client.post("/merchant/redemptions", json=scan_body(scanned, purchase, **extra), headers=headers)


def balance(session, card) -> int:
    return ledger.get_balance(session, card.account_id)


# --- signing in -----------------------------------------------------------------------------

def test_a_terminal_exchanges_its_key_for_a_short_lived_merchant_token(client, shop):
    response = client.post("/merchant/auth/token", json={"key_id": shop.key_id, "secret": shop.secret})

    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert (body["merchant_id"], body["terminal_id"]) == (shop.merchant.id, shop.terminal_id)
    me = client.get("/merchant/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json["merchant_name"] == shop.merchant.name and me.json["offer"]["rate_bp"] == 1000
    who = client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json
    assert (who["role"], who["merchant_id"], who["terminal_id"]) == ("merchant", shop.merchant.id, shop.terminal_id)


def test_a_terminal_may_send_its_credentials_on_each_request(client, make, shop, signer):
    card = make.card(balance=10_000)
    direct = {"Authorization": f"Terminal {shop.key_id}:{shop.secret}"}

    response = client.post("/merchant/quote", json=scan_body(issue_qr_token(signer, card).token), headers=direct)

    assert response.status_code == 200 and response.json["discount"] == 2_000
    wrong = client.get("/merchant/me", headers={"Authorization": f"Terminal {shop.key_id}:nope"})
    refused(wrong, 401, "invalid_terminal_credentials")


def test_repeated_wrong_secrets_for_one_key_are_rate_limited(client, shop):
    attempts = [
        client.post("/merchant/auth/token", json={"key_id": shop.key_id, "secret": f"wrong-{n}"}).status_code
        for n in range(5)
    ]
    assert attempts == [401] * 5
    blocked = client.post("/merchant/auth/token", json={"key_id": shop.key_id, "secret": shop.secret})
    refused(blocked, 429, "too_many_requests")
    assert int(blocked.headers["Retry-After"]) > 0


# --- quote and redeem -----------------------------------------------------------------------

def test_a_quote_shows_the_masked_name_and_discount_and_moves_nothing(client, session, make, shop, signer):
    card = make.card(balance=10_000)
    token = issue_qr_token(signer, card).token

    response = client.post("/merchant/quote", json=scan_body(token), headers=shop.headers)

    assert response.status_code == 200
    body = response.json
    assert body == {
        "holder_name": card.volunteer.masked_name, "card_number": card.masked_number, "needs_pin": False,
        "is_dynamic": True, "purchase_amount": 20_000, "discount": 2_000, "amount_to_pay": 18_000,
        "offer_version_id": offers.current_offer(session, shop.merchant.id).id, "balance_applied": True,
    }
    assert balance(session, card) == 10_000
    assert redeem(client, shop, token).status_code == 201  # the quote did not use the token up


def test_a_redemption_returns_a_receipt_and_moves_the_discount_once_per_key(client, session, make, shop, signer):
    card = make.card(balance=10_000)
    token = issue_qr_token(signer, card).token

    first = redeem(client, shop, token, key="pos-77-sale-1")
    again = redeem(client, shop, token, key="pos-77-sale-1")

    assert first.status_code == 201
    receipt = first.json
    assert (receipt["discount"], receipt["amount_to_pay"], receipt["purchase_amount"]) == (2_000, 18_000, 20_000)
    assert receipt["holder_name"] == card.volunteer.masked_name and receipt["refundable"] == 2_000
    assert receipt["id"] and receipt["created_at"] and receipt["settlement_date"] == seoul_today().isoformat()
    assert again.status_code == 201 and again.json == receipt
    assert again.headers["Idempotent-Replayed"] == "true"
    assert balance(session, card) == 8_000


def test_a_redemption_needs_an_idempotency_key(client, make, shop, signer):
    token = issue_qr_token(signer, make.card(balance=10_000)).token
    response = client.post("/merchant/redemptions", json=scan_body(token), headers=shop.headers)
    refused(response, 422, "idempotency_key_required")


def test_shops_never_see_phone_numbers_full_names_or_balances(client, make, shop, signer):
    card = make.card(balance=9_876)
    token = issue_qr_token(signer, card).token
    texts = [
        client.post("/merchant/quote", json=scan_body(token), headers=shop.headers).get_data(as_text=True),
        redeem(client, shop, token).get_data(as_text=True),
        client.get("/merchant/redemptions", headers=shop.headers).get_data(as_text=True),
    ]
    for text in texts:
        assert card.volunteer.phone not in text and card.volunteer.name not in text
        assert card.number not in text
        assert "9876" not in text and "7876" not in text  # the balance before and after


# --- every refusal, with its code -----------------------------------------------------------

def test_refused_insufficient_balance(client, make, shop, signer):
    response = redeem(client, shop, issue_qr_token(signer, make.card(balance=0)).token)
    refused(response, 409, "insufficient_balance")
    assert response.json["message"] == "마일리지 잔액이 부족합니다. (잔액 0점)"


def test_refused_replayed_token(client, make, shop, signer):
    token = issue_qr_token(signer, make.card(balance=10_000)).token
    assert redeem(client, shop, token).status_code == 201
    refused(redeem(client, shop, token), 409, "qr_token_replayed")


def test_refused_expired_token(client, make, shop, signer):
    token = issue_qr_token(signer, make.card(balance=10_000), now=utc_now() - timedelta(minutes=3)).token
    refused(redeem(client, shop, token), 409, "qr_token_expired")


def test_refused_forged_signature(client, make, shop):
    forged = issue_qr_token(TokenSigner("not-the-centres-key-of-32-bytes!!"), make.card(balance=10_000)).token
    refused(redeem(client, shop, forged), 422, "qr_token_invalid")


def test_refused_token_for_another_card(client, make, shop, signer):
    card, other = make.card(balance=10_000), make.card(balance=10_000)
    crossed = signer.sign({"sub": f"card:{card.id}", "cn": other.number[-4:]}, token_type=QR_TOKEN_TYPE,
                          ttl=timedelta(minutes=2))
    refused(redeem(client, shop, crossed), 409, "qr_token_card_mismatch")


def test_a_wrong_pin_is_counted_once_and_is_its_keys_only_answer(client, session, make, shop):
    card = make.card(balance=10_000, pin="2468")

    response = redeem(client, shop, card.number, key="printed-1", pin="1111")

    refused(response, 403, "wrong_pin")
    assert response.json["message"] == "PIN이 틀렸습니다. (남은 시도 4회)"
    # The till timed out and sends the same request again: the stored answer, and no second strike.
    retry = redeem(client, shop, card.number, key="printed-1", pin="1111")
    assert (retry.status_code, retry.json, retry.headers["Idempotent-Replayed"]) == (403, response.json, "true")
    assert session.scalar(select(Card.pin_failed_attempts).where(Card.id == card.id)) == 1
    # The cashier retypes the PIN: that is a new request, with a new key.
    refused(redeem(client, shop, card.number, key="printed-1", pin="2468"), 409, "idempotency_key_reused")
    assert redeem(client, shop, card.number, key="printed-2", pin="2468").status_code == 201
    assert session.scalar(select(Card.pin_failed_attempts).where(Card.id == card.id)) == 0


def test_refused_locked_card(client, make, shop):
    card = make.card(balance=10_000, pin="2468")
    codes = [redeem(client, shop, card.number, pin="0000").json["code"] for _ in range(5)]
    assert codes == ["wrong_pin"] * 4 + ["card_pin_locked"]
    refused(redeem(client, shop, card.number, pin="2468"), 409, "card_pin_locked")


def test_refused_suspended_merchant_even_with_a_token_issued_before(client, session, make, shop, signer):
    token = client.post("/merchant/auth/token", json={"key_id": shop.key_id, "secret": shop.secret}).json
    bearer = {"Authorization": f"Bearer {token['access_token']}", "Idempotency-Key": "after-suspension"}
    merchants.change_merchant_status(session, shop.merchant.id, MerchantStatus.SUSPENDED, actor=SYSTEM_ACTOR)
    qr = issue_qr_token(signer, make.card(balance=10_000)).token

    refused(client.post("/merchant/redemptions", json=scan_body(qr), headers=bearer), 403, "merchant_suspended")
    refused(client.get("/merchant/redemptions", headers=bearer), 403, "merchant_suspended")
    refused(client.get("/merchant/me", headers={"Authorization": f"Terminal {shop.key_id}:{shop.secret}"}),
            403, "merchant_suspended")
    refused(client.post("/merchant/auth/token", json={"key_id": shop.key_id, "secret": shop.secret}),
            403, "merchant_suspended")


def test_refused_revoked_terminal_even_with_a_token_issued_before(client, session, shop):
    terminals.revoke_terminal(session, shop.terminal_id, actor=SYSTEM_ACTOR)
    refused(client.get("/merchant/till", headers=shop.headers), 401, "terminal_revoked")


def test_refused_below_minimum_purchase(client, make, shop, signer):
    response = redeem(client, shop, issue_qr_token(signer, make.card(balance=10_000)).token, 4_000)
    refused(response, 422, "below_minimum_purchase")
    assert response.json["message"] == "구매 금액이 최소 결제 금액(5,000원)보다 적습니다."


def _sale(client, make, shop, signer, purchase=20_000) -> dict:
    response = redeem(client, shop, issue_qr_token(signer, make.card(balance=10_000)).token, purchase)
    assert response.status_code == 201
    return response.json


def refund(client, shop, sale_id: int, key: str, **body):
    return client.post(f"/merchant/redemptions/{sale_id}/refunds", json=body,
                       headers={**shop.headers, "Idempotency-Key": key})


def test_refused_refund_above_what_is_left(client, make, shop, signer):
    sale = _sale(client, make, shop, signer)  # 2,000
    assert refund(client, shop, sale["id"], "r1", amount=1_500).json["remaining"] == 500
    response = refund(client, shop, sale["id"], "r2", amount=501)
    refused(response, 409, "refund_exceeds_remaining")
    assert response.json["message"] == "환불 가능한 포인트(500점)를 넘습니다."


def test_refused_refund_by_another_merchant(client, make, shop, open_shop, signer):
    sale = _sale(client, make, shop, signer)
    other = open_shop()
    refused(refund(client, other, sale["id"], "theirs"), 403, "redemption_of_another_merchant")
    refused(client.get(f"/merchant/redemptions/{sale['id']}", headers=other.headers), 403,
            "redemption_of_another_merchant")


def test_refused_refund_past_the_window(client, session, make, shop, signer):
    eight_days_ago = utc_now() - timedelta(days=8)
    old = redemptions.redeem(session, signer, shop.till, scanned=issue_qr_token(signer, make.card(balance=5_000)).token,
                             purchase_amount=20_000, now=eight_days_ago)
    refused(refund(client, shop, old.id, "too-late"), 409, "refund_window_closed")


def test_the_refund_window_is_configurable(app, client, session, make, shop, signer):
    app.config["REFUND_WINDOW_DAYS"] = 30
    eight_days_ago = utc_now() - timedelta(days=8)
    old = redemptions.redeem(session, signer, shop.till, scanned=issue_qr_token(signer, make.card(balance=5_000)).token,
                             purchase_amount=20_000, now=eight_days_ago)
    assert refund(client, shop, old.id, "in-time").status_code == 201


def test_refused_capture_of_an_expired_hold(client, session, make, shop, signer):
    eleven_minutes_ago = utc_now() - timedelta(minutes=11)
    hold = holds.authorize_hold(session, signer, shop.till, purchase_amount=20_000, now=eleven_minutes_ago,
                                      scanned=issue_qr_token(signer, make.card(balance=5_000)).token)
    response = client.post(f"/merchant/holds/{hold.id}/capture", json={},
                           headers={**shop.headers, "Idempotency-Key": "late-capture"})
    refused(response, 409, "hold_expired")


# --- attempt limits -------------------------------------------------------------------------

def test_wrong_pins_are_limited_per_terminal_whatever_the_card_or_route(client, make, shop):
    printed = [make.card(balance=10_000, pin="2468") for _ in range(3)]
    codes = [redeem(client, shop, printed[n // 4].number, pin="0000").json["code"] for n in range(7)]
    codes += [
        client.post("/merchant/holds", json=scan_body(printed[2].number, pin="0000"),
                    headers={**shop.headers, "Idempotency-Key": f"hold-pin-{n}"}).json["code"]
        for n in range(3)
    ]
    assert set(codes) == {"wrong_pin"}

    blocked = redeem(client, shop, printed[2].number, pin="2468")
    refused(blocked, 429, "too_many_requests")


# --- refunds, holds and lists ---------------------------------------------------------------

def test_partial_refunds_then_the_rest_return_points_to_the_card(client, session, make, shop, signer):
    card = make.card(balance=10_000)
    sale = redeem(client, shop, issue_qr_token(signer, card).token).json

    partial = refund(client, shop, sale["id"], "r-1", amount=700, reason="일부 반품")
    rest = refund(client, shop, sale["id"], "r-2")

    assert partial.status_code == rest.status_code == 201
    assert (partial.json["amount"], partial.json["reason"], rest.json["amount"], rest.json["remaining"]) == (
        700, "일부 반품", 1_300, 0)
    assert balance(session, card) == 10_000
    refunds = client.get("/merchant/refunds", headers=shop.headers).json["items"]
    assert [item["amount"] for item in refunds] == [1_300, 700]
    assert client.get(f"/merchant/redemptions/{sale['id']}", headers=shop.headers).json["refunded_amount"] == 2_000


def test_a_hold_is_captured_in_part_and_the_rest_returns(client, session, make, shop, signer):
    card = make.card(balance=10_000)
    held = client.post("/merchant/holds", json=scan_body(issue_qr_token(signer, card).token, 40_000),
                       headers={**shop.headers, "Idempotency-Key": "hold-1"})
    assert held.status_code == 201 and held.json["amount"] == 3_000 and held.json["status"] == "held"
    assert balance(session, card) == 7_000

    captured = client.post(f"/merchant/holds/{held.json['id']}/capture", json={"purchase_amount": 15_000},
                           headers={**shop.headers, "Idempotency-Key": "capture-1"})

    assert captured.status_code == 201
    assert (captured.json["discount"], captured.json["hold_id"]) == (1_500, held.json["id"])
    assert balance(session, card) == 8_500
    assert client.get(f"/merchant/holds/{held.json['id']}", headers=shop.headers).json["status"] == "captured"


def test_a_voided_hold_gives_everything_back(client, session, make, shop, signer):
    card = make.card(balance=10_000)
    held = client.post("/merchant/holds", json=scan_body(issue_qr_token(signer, card).token),
                       headers={**shop.headers, "Idempotency-Key": "hold-2"}).json
    voided = client.post(f"/merchant/holds/{held['id']}/void", headers={**shop.headers, "Idempotency-Key": "void-2"})
    assert voided.status_code == 200 and voided.json["status"] == "voided"
    assert balance(session, card) == 10_000


def test_a_shop_lists_its_own_sales_in_keyset_pages_and_sees_its_till(client, make, shop, open_shop, signer):
    mine = [_sale(client, make, shop, signer)["id"] for _ in range(3)]
    other = open_shop()
    _sale(client, make, other, signer)
    refund(client, shop, mine[0], "till-refund", amount=500)

    first = client.get("/merchant/redemptions?limit=2", headers=shop.headers).json
    second = client.get(f"/merchant/redemptions?limit=2&cursor={first['next_cursor']}", headers=shop.headers).json
    today = client.get(f"/merchant/redemptions?day={seoul_today().isoformat()}", headers=shop.headers).json

    assert [item["id"] for item in first["items"] + second["items"]] == mine[::-1]
    assert second["next_cursor"] is None and len(today["items"]) == 3
    till = client.get("/merchant/till", headers=shop.headers).json
    assert (till["redemption_count"], till["gross_discount"], till["refunds"], till["net"]) == (3, 6_000, 500, 5_500)
    assert till["period_start"] == seoul_today().isoformat() and till["merchant_id"] == shop.merchant.id


# --- settlement -----------------------------------------------------------------------------

def test_a_shop_sees_only_its_own_settlement_and_staff_see_every_shop(client, make, shop, open_shop, signer, login):
    other = open_shop()
    _sale(client, make, shop, signer)
    _sale(client, make, other, signer, purchase=10_000)

    own = client.get("/merchant/settlement?period=day", headers=shop.headers).json["items"]
    staff = client.get("/admin/settlement?period=month", headers=login(make.user(role="auditor"))).json["items"]

    assert [(line["merchant_id"], line["net"]) for line in own] == [(shop.merchant.id, 2_000)]
    by_shop = {line["merchant_id"]: line["net"] for line in staff}
    assert by_shop[shop.merchant.id] == 2_000 and by_shop[other.merchant.id] == 1_000


def test_settlement_downloads_as_csv(client, make, shop, signer):
    _sale(client, make, shop, signer)

    response = client.get("/merchant/settlement?period=month&format=csv", headers=shop.headers)

    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(row["가맹점 번호"], row["사용 건수"], row["정산액(포인트)"]) for row in rows] == [
        (str(shop.merchant.id), "1", "2000")
    ]
    assert rows[0]["사업자등록번호"].count("-") == 2
