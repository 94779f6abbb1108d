"""One scan at the counter, both discounts: the tier benefit (no points) and the points discount."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards.qr import issue_qr_token
from mileage.claims import review
from mileage.clock import seoul_today as today
from mileage.models import BenefitUse, JournalEntry
from mileage.programme import book, presets
from mileage.shops import benefits, terminals
from mileage.shops import checkout as sales
from tests.api.test_merchant_api import OFFER, Shop


@pytest.fixture
def nowon(session):
    return book.create_rule_set(session, name="노원", effective_from=today() - timedelta(days=200), actor=SYSTEM_ACTOR,
                                definition=presets.preset("nowon-2011")["definition"], allow_past=True)


def green_card(session, make, *, extra_points=0, pin="4321"):
    """A card whose holder reached 그린 with 56 hours (600 points after the free first 50)."""
    card = make.card(pin=pin)
    for days_ago in range(10, 18):
        claim = make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=days_ago), minutes=7 * 60)
        review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    if extra_points:
        make.credit(card, extra_points)
    return card


@pytest.fixture
def benefit_shop(make, login, session, nowon):
    def create(*, rate_bp=1000, min_tier="그린", **offer):
        merchant = make.merchant(offer={**OFFER, **offer})
        benefits.set_tier_benefit(session, merchant.id, rate_bp=rate_bp, min_tier=min_tier, actor=SYSTEM_ACTOR)
        credentials = make.terminal(merchant)
        terminal = credentials.terminal
        return Shop(merchant, terminal.key_id, credentials.secret, terminal.id,
                    login(terminals.terminal_principal(terminal)))

    return create


def checkout(client, shop, card, purchase, **extra):
    headers = {**shop.headers, "Idempotency-Key": f"co-{secrets.token_hex(6)}"}
    return client.post("/merchant/checkout", json={"scanned": card.number, "purchase_amount": purchase, **extra},
                       headers=headers)


def test_the_preview_shows_the_tier_benefit_and_the_points_discount_together(client, make, session, benefit_shop):
    shop = benefit_shop()
    card = green_card(session, make, extra_points=5_000)
    preview = client.post("/merchant/checkout/preview", json={"scanned": card.number, "purchase_amount": 20_000},
                          headers=shop.headers)
    assert preview.status_code == 200, preview.json
    body = preview.json
    assert body["tier"] == "그린" and body["tier_benefit"] == {"rate_bp": 1000, "amount": 2_000}
    assert body["discount"] == 2_000 and body["amount_to_pay"] == 16_000
    # The shop sees the tier name only: no hours, no balance.
    assert "balance" not in body and "lifetime_minutes" not in str(body)


def test_checkout_records_the_benefit_use_and_deducts_only_the_points(client, make, session, benefit_shop):
    shop = benefit_shop()
    card = green_card(session, make, extra_points=5_000)
    before = ledger.get_balance(session, card.account_id)
    answer = checkout(client, shop, card, 20_000, pin="4321")
    assert answer.status_code == 201, answer.json
    assert answer.json["tier_benefit"]["amount"] == 2_000 and answer.json["discount"] == 2_000
    assert answer.json["amount_to_pay"] == 16_000 and answer.json["redemption_id"]
    assert ledger.get_balance(session, card.account_id) == before - 2_000
    use = session.get(BenefitUse, answer.json["benefit_use_id"])
    assert (use.merchant_id, use.card_id, use.tier, use.purchase_amount, use.benefit_amount) == (
        shop.merchant.id, card.id, "그린", 20_000, 2_000)
    assert use.redemption_id == answer.json["redemption_id"]


def test_a_tier_benefit_alone_moves_no_points_and_is_no_ledger_entry(client, make, session, benefit_shop):
    shop = benefit_shop()
    card = green_card(session, make)
    entries = session.query(JournalEntry).count()
    balance = ledger.get_balance(session, card.account_id)
    answer = checkout(client, shop, card, 30_000, use_points=False)
    assert answer.status_code == 201, answer.json
    assert answer.json["tier_benefit"]["amount"] == 3_000 and answer.json["discount"] == 0
    assert answer.json["redemption_id"] is None and answer.json["amount_to_pay"] == 27_000
    assert session.query(JournalEntry).count() == entries
    assert ledger.get_balance(session, card.account_id) == balance


def test_an_empty_card_still_gets_its_tier_benefit_and_is_told_why_no_points(client, make, session, benefit_shop):
    shop = benefit_shop()
    card = make.card()
    for days_ago in range(10, 18):  # 56 hours: 그린, but only 600 points
        claim = make.claim(volunteer=card.volunteer, work_date=today() - timedelta(days=days_ago), minutes=7 * 60)
        review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    ledger.transfer(session, kind="test_debit", from_account_id=card.account_id,
                    to_account_id=ledger.system_account(session, "issuance").id, amount=600)
    preview = client.post("/merchant/checkout/preview", json={"scanned": phone_qr(client, card),
                                                              "purchase_amount": 10_000}, headers=shop.headers).json
    assert preview["tier_benefit"]["amount"] == 1_000 and preview["discount"] == 0
    assert preview["points_refusal"] == "insufficient_balance" and preview["points_refusal_message"]
    answer = client.post("/merchant/checkout", json={"scanned": phone_qr(client, card), "purchase_amount": 10_000},
                         headers={**shop.headers, "Idempotency-Key": secrets.token_hex(8)})
    assert answer.status_code == 201, answer.json
    assert answer.json["amount_to_pay"] == 9_000 and answer.json["points_refusal"] == "insufficient_balance"


def test_an_empty_printed_card_gets_its_tier_benefit_once_its_pin_shows_no_points(client, make, session,
                                                                                  benefit_shop):
    shop = benefit_shop()
    card = green_card(session, make)
    ledger.transfer(session, kind="test_debit", from_account_id=card.account_id,
                    to_account_id=ledger.system_account(session, "issuance").id, amount=600)
    # A printed card's preview cannot tell the balance: it promises the offer's discount and asks for the PIN.
    preview = client.post("/merchant/checkout/preview", json={"scanned": card.number, "purchase_amount": 10_000},
                          headers=shop.headers).json
    assert preview["needs_pin"] is True and preview["discount"] == 1_000
    entries = session.query(JournalEntry).filter(JournalEntry.kind != "refusal").count()

    key = {**shop.headers, "Idempotency-Key": secrets.token_hex(8)}
    sale = {"scanned": card.number, "purchase_amount": 10_000, "pin": "4321"}
    answer = client.post("/merchant/checkout", json=sale, headers=key)
    assert answer.status_code == 201, answer.json
    assert answer.json["discount"] == 0 and answer.json["redemption_id"] is None
    assert answer.json["tier_benefit"]["amount"] == 1_000 and answer.json["amount_to_pay"] == 9_000
    assert answer.json["points_refusal"] == "insufficient_balance" and answer.json["points_refusal_message"]
    assert session.query(JournalEntry).filter(JournalEntry.kind != "refusal").count() == entries

    # The key has one outcome: its retry replays it, and points credited since change nothing,
    # also for a caller of the service itself (below the HTTP layer's stored answers).
    make.credit(card, 5_000)
    again = client.post("/merchant/checkout", json=sale, headers=key)
    assert again.status_code == 201 and again.json == answer.json
    signer = client.application.extensions["mileage.token_signer"]
    retried = sales.checkout(session, signer, shop.till, scanned=card.number, purchase_amount=10_000, pin="4321",
                             idempotency_key=key["Idempotency-Key"])
    assert retried.redemption is None and retried.benefit_use.id == answer.json["benefit_use_id"]
    assert session.query(BenefitUse).filter_by(card_id=card.id).count() == 1
    assert ledger.get_balance(session, card.account_id) == 5_000


def test_a_wrong_pin_is_refused_and_counted_even_where_a_tier_benefit_stands(client, make, session, benefit_shop):
    shop = benefit_shop()
    card = green_card(session, make, extra_points=5_000)
    answer = client.post("/merchant/checkout", json={"scanned": card.number, "purchase_amount": 10_000, "pin": "0000"},
                         headers={**shop.headers, "Idempotency-Key": secrets.token_hex(8)})
    assert answer.status_code in (401, 403, 422) and answer.json["code"] == "wrong_pin"
    session.expire_all()
    assert session.get(type(card), card.id).pin_failed_attempts == 1
    assert session.query(BenefitUse).filter_by(card_id=card.id).count() == 0


def test_a_lower_tier_gets_no_benefit_and_no_points_means_the_usual_refusal(client, make, session, benefit_shop):
    shop = benefit_shop(min_tier="골드")
    card = green_card(session, make)
    preview = client.post("/merchant/checkout/preview", json={"scanned": phone_qr(client, card),
                                                              "purchase_amount": 20_000}, headers=shop.headers).json
    assert preview["tier"] == "그린" and preview["tier_benefit"]["amount"] == 0 and preview["discount"] == 600
    empty = make.card()
    refused = client.post("/merchant/checkout/preview", json={"scanned": phone_qr(client, empty),
                                                              "purchase_amount": 20_000}, headers=shop.headers)
    assert refused.status_code == 409 and refused.json["code"] == "insufficient_balance"


def test_the_points_share_cap_and_no_partial_payment(client, make, session):
    # The NW rule: points pay at most 10 % of the bill.
    capped = make.merchant(offer={"rate_bp": 5000, "max_discount": 50_000, "min_purchase": 0, "max_share_bp": 1000})
    card = make.card(balance=100_000, pin="4321")
    quote = client.post("/merchant/quote", json={"scanned": phone_qr(client, card), "purchase_amount": 70_000},
                        headers=_headers(make, capped, client)).json
    assert quote["discount"] == 7_000 and quote["amount_to_pay"] == 63_000
    strict = make.merchant(offer={"rate_bp": 1000, "max_discount": 5_000, "min_purchase": 0,
                                  "no_partial_payment": True})
    poor = make.card(balance=1_500, pin="4321")
    refused = client.post("/merchant/quote", json={"scanned": phone_qr(client, poor), "purchase_amount": 30_000},
                          headers=_headers(make, strict, client))
    assert refused.status_code == 422 and refused.json["code"] == "partial_payment_not_allowed"
    assert "3,000" in refused.json["message"] or "3000" in refused.json["message"]


def phone_qr(client, card) -> str:
    """Return a dynamic QR token from the card's phone: a printed card's quote never shows the balance."""
    return issue_qr_token(client.application.extensions["mileage.token_signer"], card).token


def _headers(make, merchant, client):
    terminal = make.terminal(merchant).terminal
    return {"Authorization": f"Bearer {_token(client, terminal)}"}


def _token(client, terminal):
    from mileage.people.tokens import issue_access_token

    app = client.application
    return issue_access_token(app.extensions["mileage.token_signer"], terminals.terminal_principal(terminal))
