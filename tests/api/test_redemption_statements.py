"""What one redemption at the counter costs the database: the statements it sends, counted, not timed.

The counter path is the hottest one; each statement is a round trip and about 3 % of a worker's CPU.
This pins the count, so that a change that adds a query to the sale shows here, not in production.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import event

from mileage.cards.qr import issue_qr_token
from mileage.shops import terminals

OFFER = {"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000}


@pytest.fixture
def statements(connection):
    """Record every statement sent on the test's connection while the block runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        sent.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    yield sent
    event.remove(connection, "before_cursor_execute", record)


def _till(make, login):
    merchant = make.merchant(offer=OFFER)
    terminal = make.terminal(merchant).terminal
    return login(terminals.terminal_principal(terminal))


# What a sale needs, one statement each: claim the HTTP key; the terminal and its shop; the shop
# share-locked with its offer, any closure of the day and what the ledger key already posted; the
# card locked with its volunteer; the token used up; both accounts locked; the entry, its postings
# and the balances (one statement on PostgreSQL, three on SQLite); the receipt; the HTTP key's answer.
STATEMENTS_PER_SALE = {"postgresql": 9, "sqlite": 11}


def _sale_statements(statements: list[str]) -> list[str]:
    """The request's own statements, without the savepoint the test's rolled-back transaction adds."""
    return [" ".join(s.split()) for s in statements if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_a_sale_with_a_phone_token_sends_each_question_once(client, make, login, app, statements, connection):
    headers = _till(make, login)
    card = make.card(balance=10_000)
    token = issue_qr_token(app.extensions["mileage.token_signer"], card).token
    statements.clear()

    response = client.post("/merchant/redemptions", json={"scanned": token, "purchase_amount": 20_000},
                           headers={**headers, "Idempotency-Key": f"sale-{secrets.token_hex(8)}"})

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["holder_name"] == card.volunteer.masked_name
    sent = _sale_statements(statements)
    assert len(sent) <= STATEMENTS_PER_SALE[connection.dialect.name], "\n".join(sent)
    # The request's own savepoints (the test's outer one is left out above) would be round trips too.
    assert len(statements) - len(sent) == 2, statements
    assert not [s for s in sent if s.startswith("SELECT") and "used_qr_tokens" in s], "token looked up, then inserted"
    assert sum("INSERT INTO postings" in s for s in sent) == 1
    assert sum(" FROM cards" in s for s in sent) == 1, "the card is read once, with its volunteer"
    assert not [s for s in sent if "FROM volunteers" in s], "the volunteer is loaded lazily"
    assert not [s for s in sent if "FROM settlement_closures" in s and s.startswith("SELECT settlement_closures")]


def test_a_retried_sale_replays_its_receipt_without_moving_anything(client, make, login, app, statements):
    headers = {**_till(make, login), "Idempotency-Key": f"sale-{secrets.token_hex(8)}"}
    card = make.card(balance=10_000)
    body = {"scanned": issue_qr_token(app.extensions["mileage.token_signer"], card).token, "purchase_amount": 20_000}
    first = client.post("/merchant/redemptions", json=body, headers=headers)
    statements.clear()

    again = client.post("/merchant/redemptions", json=body, headers=headers)

    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert not [s for s in statements if s.startswith(("INSERT INTO journal_entries", "UPDATE accounts"))]
