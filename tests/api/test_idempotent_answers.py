"""An Idempotency-Key's first final answer, success or refusal, is its only answer.

A till that timed out resends its sale with the same key; whatever the card's balance has done in the
meantime, the answer it gets is the one the first attempt got. Answers that say nothing happened
(a body that could not be parsed, an expired token, a rate limit) are not stored.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards.qr import issue_qr_token
from mileage.models import IdempotentRequest, JournalEntry, MerchantStatus
from mileage.shops import merchants, terminals


@pytest.fixture
def terminal(make, login):
    """A terminal of an active shop (10 %, at most 3,000 points) and its Authorization headers."""
    credentials = make.terminal(make.merchant())
    return credentials, login(terminals.terminal_principal(credentials.terminal))


def sale(client, headers, key: str, scanned: str, purchase: int = 20_000, **extra):
    return client.post(
        "/merchant/redemptions",
        json={"scanned": scanned, "purchase_amount": purchase, **extra},
        headers={**headers, "Idempotency-Key": key},
    )


def balance(session, card) -> int:
    return ledger.get_balance(session, card.account_id)


def entries_with_key_ending(session, key: str) -> int:
    return session.scalar(
        select(func.count()).select_from(JournalEntry)
        .where(JournalEntry.idempotency_key.like(f"%:{key}"), JournalEntry.kind != "refusal")
    )


def test_a_declined_sale_stays_declined_after_the_card_is_credited(client, session, make, terminal):
    _credentials, headers = terminal
    card = make.card(balance=0, pin="2468")

    declined = sale(client, headers, "sale-k", card.number, pin="2468")
    assert (declined.status_code, declined.json["code"]) == (409, "insufficient_balance")
    make.credit(card, 2_000)  # staff approve hours meanwhile

    retried = sale(client, headers, "sale-k", card.number, pin="2468")

    assert retried.status_code == 409
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json == declined.json
    assert balance(session, card) == 2_000
    assert entries_with_key_ending(session, "sale-k") == 0
    fresh = sale(client, headers, "sale-k2", card.number, pin="2468")
    assert (fresh.status_code, fresh.json["discount"]) == (201, 2_000)
    assert balance(session, card) == 0


def test_a_spent_qr_code_is_refused_for_good_under_its_key(client, session, make, terminal, app):
    _credentials, headers = terminal
    card = make.card(balance=10_000)
    token = issue_qr_token(app.extensions["mileage.token_signer"], card).token
    assert sale(client, headers, "first", token).status_code == 201

    refused = sale(client, headers, "second", token)
    again = sale(client, headers, "second", token)

    assert (refused.status_code, refused.json["code"]) == (409, "qr_token_replayed")
    assert (again.status_code, again.json, again.headers["Idempotent-Replayed"]) == (409, refused.json, "true")
    assert balance(session, card) == 8_000


def test_a_sale_refused_while_the_shop_was_suspended_is_not_redeemed_after_it_reopens(
    client, session, make, terminal
):
    credentials, headers = terminal
    card = make.card(balance=10_000, pin="2468")
    shop_id = credentials.terminal.merchant_id
    merchants.change_merchant_status(session, shop_id, MerchantStatus.SUSPENDED, actor=SYSTEM_ACTOR)
    refused = sale(client, headers, "while-suspended", card.number, pin="2468")
    merchants.change_merchant_status(session, shop_id, MerchantStatus.ACTIVE, actor=SYSTEM_ACTOR)

    again = sale(client, headers, "while-suspended", card.number, pin="2468")

    assert (refused.status_code, refused.json["code"]) == (403, "merchant_suspended")
    assert (again.status_code, again.json, again.headers["Idempotent-Replayed"]) == (403, refused.json, "true")
    assert balance(session, card) == 10_000


def test_a_refused_refund_is_replayed_and_a_new_key_is_needed(client, session, make, terminal):
    _credentials, headers = terminal
    card = make.card(balance=10_000, pin="2468")
    receipt = sale(client, headers, "sale", card.number, pin="2468").json
    path = f"/merchant/redemptions/{receipt['id']}/refunds"
    too_much = client.post(path, json={"amount": 5_000}, headers={**headers, "Idempotency-Key": "refund-1"})

    again = client.post(path, json={"amount": 5_000}, headers={**headers, "Idempotency-Key": "refund-1"})
    other_body = client.post(path, json={"amount": 500}, headers={**headers, "Idempotency-Key": "refund-1"})

    assert (too_much.status_code, too_much.json["code"]) == (409, "refund_exceeds_remaining")
    assert (again.json, again.headers["Idempotent-Replayed"]) == (too_much.json, "true")
    assert other_body.json["code"] == "idempotency_key_reused"
    new_key = client.post(path, json={"amount": 500}, headers={**headers, "Idempotency-Key": "refund-2"})
    assert new_key.status_code == 201
    assert balance(session, card) == 8_500


def test_a_declined_donation_stays_declined(client, session, make, login):
    card = make.card(balance=300)
    volunteer = make.user(role="volunteer", volunteer_id=card.volunteer_id)
    cause = make.cause()
    headers = {**login(volunteer), "Idempotency-Key": "gift-1"}

    declined = client.post("/me/donations", json={"cause_id": cause.id, "points": 1_000}, headers=headers)
    make.credit(card, 5_000)
    again = client.post("/me/donations", json={"cause_id": cause.id, "points": 1_000}, headers=headers)

    assert (declined.status_code, declined.json["code"]) == (409, "insufficient_balance")
    assert (again.status_code, again.json, again.headers["Idempotent-Replayed"]) == (409, declined.json, "true")
    assert balance(session, card) == 5_300


def test_a_body_that_could_not_be_parsed_leaves_the_key_free(client, session, make, terminal):
    _credentials, headers = terminal
    card = make.card(balance=10_000, pin="2468")

    malformed = sale(client, headers, "typo", card.number, purchase="many", pin="2468")
    corrected = sale(client, headers, "typo", card.number, pin="2468")

    assert (malformed.status_code, malformed.json["code"]) == (422, "validation_failed")
    assert "purchase_amount" in malformed.json["errors"]
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers


def test_an_expired_token_leaves_the_key_free_for_the_renewed_one(client, session, make, terminal, app):
    credentials, headers = terminal
    card = make.card(balance=10_000, pin="2468")
    signer = app.extensions["mileage.token_signer"]
    principal = terminals.terminal_principal(credentials.terminal)
    expired = signer.sign({"sub": principal.scope, **principal.claims()}, token_type="access", ttl=-signer.access_ttl)

    stale = sale(client, {"Authorization": f"Bearer {expired}"}, "renew", card.number, pin="2468")
    renewed = sale(client, headers, "renew", card.number, pin="2468")

    assert (stale.status_code, stale.json["code"]) == (401, "token_expired")
    assert renewed.status_code == 201
    assert balance(session, card) == 8_000


def test_the_quoted_form_of_a_key_names_the_same_key(client, session, make, terminal):
    _credentials, headers = terminal
    card = make.card(balance=10_000, pin="2468")
    key = secrets.token_hex(8)

    first = sale(client, headers, f'"{key}"', card.number, pin="2468")
    bare = sale(client, headers, key, card.number, pin="2468")

    assert first.status_code == 201
    assert (bare.status_code, bare.json, bare.headers["Idempotent-Replayed"]) == (201, first.json, "true")
    assert balance(session, card) == 8_000


def test_a_terminal_secret_and_its_token_share_one_key_space(client, session, make, terminal):
    credentials, headers = terminal
    card = make.card(balance=10_000, pin="2468")
    by_secret = {"Authorization": f"Terminal {credentials.terminal.key_id}:{credentials.secret}"}

    first = sale(client, by_secret, "same-till", card.number, pin="2468")
    by_token = sale(client, headers, "same-till", card.number, pin="2468")

    assert first.status_code == 201
    assert (by_token.json, by_token.headers["Idempotent-Replayed"]) == (first.json, "true")


def test_a_wrong_secret_never_reads_a_stored_answer(client, make, terminal):
    credentials, headers = terminal
    card = make.card(balance=10_000, pin="2468")
    assert sale(client, headers, "private", card.number, pin="2468").status_code == 201
    forged = {"Authorization": f"Terminal {credentials.terminal.key_id}:not-the-secret"}

    answer = sale(client, forged, "private", card.number, pin="2468")

    assert (answer.status_code, answer.json["code"]) == (401, "invalid_terminal_credentials")
    assert "holder_name" not in answer.get_data(as_text=True)


def test_every_refusal_stored_is_stored_complete(client, session, make, terminal):
    _credentials, headers = terminal
    card = make.card(balance=0, pin="2468")
    for key in ("a", "b", "c"):
        sale(client, headers, key, card.number, pin="2468")

    half_stored = session.scalar(
        select(func.count()).select_from(IdempotentRequest).where(IdempotentRequest.status_code == 0)
    )
    assert half_stored == 0
    assert ledger.check_invariants(session).ok
