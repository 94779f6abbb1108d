"""A request whose every rerun meets a deadlock asks the caller to try again; it is never a 500."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from mileage.cards.qr import issue_qr_token
from mileage.db import MAX_TRANSACTION_ATTEMPTS
from mileage.ledger import get_balance
from mileage.shops import redemptions, terminals

OFFER = {"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000}


@pytest.fixture
def deadlocked_sales(monkeypatch):
    """Make every sale fail as PostgreSQL's deadlock detector fails one; count the attempts."""
    attempts = []

    def deadlocked(*_args, **_kwargs):
        attempts.append(1)
        raise OperationalError("UPDATE accounts", {}, psycopg.errors.DeadlockDetected("deadlock detected"))

    monkeypatch.setattr(redemptions, "redeem", deadlocked)
    return attempts


def test_a_sale_that_deadlocks_on_every_attempt_is_a_conflict_to_retry(client, make, login, app, monkeypatch,
                                                                         deadlocked_sales, session):
    merchant = make.merchant(offer=OFFER)
    headers = login(terminals.terminal_principal(make.terminal(merchant).terminal))
    card = make.card(balance=10_000)
    signer = app.extensions["mileage.token_signer"]
    sale = {"scanned": issue_qr_token(signer, card).token, "purchase_amount": 20_000}
    headers = {**headers, "Idempotency-Key": "sale-deadlocked-every-time"}

    response = client.post("/merchant/redemptions", json=sale, headers=headers)

    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.json["code"] == "transaction_conflict"
    assert response.json["message"] == "동시에 처리 중인 요청과 충돌했습니다. 다시 시도하세요."
    assert len(deadlocked_sales) == MAX_TRANSACTION_ATTEMPTS
    # Nothing was applied and nothing kept: the same request with the same key goes through.
    assert get_balance(session, card.account_id) == 10_000
    monkeypatch.undo()  # the sale works again
    retried = client.post("/merchant/redemptions", json=sale, headers=headers)
    assert retried.status_code == 201, retried.get_data(as_text=True)
    assert get_balance(session, card.account_id) == 10_000 - 2_000


def test_each_rerun_is_logged_with_its_cause(client, make, login, app, deadlocked_sales, caplog):
    merchant = make.merchant(offer=OFFER)
    headers = login(terminals.terminal_principal(make.terminal(merchant).terminal))
    sale = {"scanned": issue_qr_token(app.extensions["mileage.token_signer"], make.card(balance=10_000)).token,
            "purchase_amount": 20_000}

    with caplog.at_level("INFO", logger="mileage.request"):
        client.post("/merchant/redemptions", json=sale, headers={**headers, "Idempotency-Key": "sale-logged"})

    reruns = [record for record in caplog.records if record.getMessage().startswith("retrying request")]
    assert [(record.attempt, record.cause) for record in reruns] == [
        (attempt, "deadlock_detected") for attempt in range(1, MAX_TRANSACTION_ATTEMPTS)
    ]
