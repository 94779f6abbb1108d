"""Fast seeding for benchmarks: thousands of volunteers and cards in a few SQL statements.

Rows are written as the services would write them (an account per card, one credit entry per card
from the issuance account with its two postings), so the ledger invariants hold from the start.
Only for a benchmark's own scratch database: ids are taken past the current maximum.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from mileage.cards.numbers import CARD_NUMBER_PREFIX, luhn_check_digit
from mileage.models import AccountKind

SEED_TABLES = ("volunteers", "accounts", "cards", "journal_entries", "postings")

SEED_SQL = """
INSERT INTO volunteers (id, name, phone, status, created_at)
SELECT :volunteer_base + n, '봉사자' || n,
       '010-' || lpad((n / 10000)::text, 4, '0') || '-' || lpad((n % 10000)::text, 4, '0'), 'active', now()
FROM generate_series(1, :count) AS n;

INSERT INTO accounts (id, kind, code, balance, created_at)
SELECT :account_base + t.n, 'card', 'card:' || t.number, :balance, now()
FROM unnest(CAST(:numbers AS varchar[])) WITH ORDINALITY AS t(number, n);

INSERT INTO cards (id, number, volunteer_id, account_id, status, pin_failed_attempts, pin_locked, issued_at,
                   status_changed_at)
SELECT :card_base + t.n, t.number, :volunteer_base + t.n, :account_base + t.n, 'active', 0, false, now(), now()
FROM unnest(CAST(:numbers AS varchar[])) WITH ORDINALITY AS t(number, n);
"""

CREDIT_SQL = """
INSERT INTO journal_entries (id, kind, idempotency_key, memo, created_at)
SELECT :entry_base + n, 'bench_seed', 'bench-seed:' || (:card_base + n), 'benchmark opening balance', now()
FROM generate_series(1, :count) AS n;

INSERT INTO postings (entry_id, account_id, amount, balance_after, created_at)
SELECT entry_id, account_id, amount, balance_after, now() FROM (
    SELECT :entry_base + n AS entry_id, :issuance AS account_id, -CAST(:balance AS bigint) AS amount,
           CAST(:issuance_before AS bigint) - CAST(:balance AS bigint) * n AS balance_after
    FROM generate_series(1, :count) AS n
    UNION ALL
    SELECT :entry_base + n, :account_base + n, CAST(:balance AS bigint), CAST(:balance AS bigint)
    FROM generate_series(1, :count) AS n
) AS legs
ORDER BY entry_id, account_id;

UPDATE accounts SET balance = balance - CAST(:balance AS bigint) * :count WHERE id = :issuance;
"""


@dataclass(frozen=True)
class SeededCard:
    """What a benchmark client needs to know of a card: enough to mint its QR token."""

    id: int
    number: str
    volunteer_id: int


def new_card_numbers(count: int) -> list[str]:
    """Return distinct random card numbers with the centre's prefix and a correct Luhn digit."""
    numbers: set[str] = set()
    while len(numbers) < count:
        body = CARD_NUMBER_PREFIX + f"{secrets.randbelow(10**11):011d}"
        numbers.add(body + luhn_check_digit(body))
    return sorted(numbers)


def _next_ids(connection: Connection) -> dict[str, int]:
    """Return, per seeded table, the last id in use (the seed writes ids after it)."""
    return {
        table: connection.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()
        for table in SEED_TABLES
    }


def _advance_sequences(connection: Connection) -> None:
    """Move each table's id sequence past the ids the seed wrote, so the app's inserts do not collide."""
    for table in SEED_TABLES:
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )


def seed_cards(engine: Engine, count: int, *, balance: int) -> list[SeededCard]:
    """Register `count` volunteers, each with an active card holding `balance` points (0 for none)."""
    numbers = new_card_numbers(count)
    with engine.begin() as connection:
        last = _next_ids(connection)
        values = {
            "count": count,
            "balance": balance,
            "numbers": numbers,
            "volunteer_base": last["volunteers"],
            "account_base": last["accounts"],
            "card_base": last["cards"],
        }
        for statement in SEED_SQL.split(";\n"):
            if statement.strip():
                connection.execute(text(statement), values)
        if balance > 0:
            issuance_id, issuance_before = connection.execute(
                text("SELECT id, balance FROM accounts WHERE code = :code"), {"code": str(AccountKind.ISSUANCE)}
            ).one()
            credit = {**values, "entry_base": last["journal_entries"], "issuance": issuance_id,
                      "issuance_before": issuance_before}
            for statement in CREDIT_SQL.split(";\n"):
                if statement.strip():
                    connection.execute(text(statement), credit)
        _advance_sequences(connection)
        connection.execute(text("ANALYZE"))
    return [
        SeededCard(id=last["cards"] + n, number=number, volunteer_id=last["volunteers"] + n)
        for n, number in enumerate(numbers, start=1)
    ]
