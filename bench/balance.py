"""Balance and first-history-page reads cost the same for a card with 10 postings and one with 1,000,000.

    python -m bench.balance [--postings 1000000] [--repeat 2000]

Creates a scratch PostgreSQL database, fills two cards' histories with SQL (one entry per posting
pair, balances kept consistent), checks the ledger invariants, then times `get_balance` and the first
`account_history` page on each card. Prints the medians and the large/small ratios (target <= 1.2).
"""

from __future__ import annotations

import argparse

from sqlalchemy import text

from bench.common import median, percentile, progress, report, server_url, time_calls
from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from mileage.people import volunteers
from tests.support.databases import scratch_database

FILL_SQL = """
WITH entries AS (
    INSERT INTO journal_entries (kind, memo, created_at)
    SELECT 'bench_credit', '', now() - make_interval(secs => :count - n)
    FROM generate_series(1, :count) AS n
    RETURNING id, created_at
), numbered AS (
    SELECT id, created_at, row_number() OVER (ORDER BY id) AS n FROM entries
)
INSERT INTO postings (entry_id, account_id, amount, balance_after, created_at)
SELECT entry_id, account_id, amount, balance_after, created_at FROM (
    SELECT id AS entry_id, :card_account AS account_id, 1 AS amount, n AS balance_after, created_at FROM numbered
    UNION ALL
    SELECT id, :issuance_account, -1, :issuance_before - n, created_at FROM numbered
) AS legs
ORDER BY entry_id, account_id  -- both legs of an entry side by side, as real postings are written
"""


def fill_history(engine, card_account: int, issuance_account: int, count: int) -> None:
    """Give a card `count` one-point credits with SQL, keeping every invariant."""
    with engine.begin() as connection:
        issuance_before = connection.execute(
            text("SELECT balance FROM accounts WHERE id = :id"), {"id": issuance_account}
        ).scalar_one()
        connection.execute(
            text(FILL_SQL),
            {"count": count, "card_account": card_account, "issuance_account": issuance_account,
             "issuance_before": issuance_before},
        )
        connection.execute(text("UPDATE accounts SET balance = balance + :n WHERE id = :id"),
                           {"n": count, "id": card_account})
        connection.execute(text("UPDATE accounts SET balance = balance - :n WHERE id = :id"),
                           {"n": count, "id": issuance_account})
        connection.execute(text("ANALYZE postings"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--page", type=int, default=10, help="history page size (the small card has 10)")
    options = parser.parse_args()

    with scratch_database(server_url()) as url:
        progress(f"migrating scratch database {url.rsplit('/', 1)[-1]}")
        upgrade_database(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)

        def two_cards(session):
            small, large = (
                volunteers.enrol_volunteer(session, name=name, phone=phone, actor=SYSTEM_ACTOR).volunteer
                for name, phone in (("김소수", "010-0000-0010"), ("이다수", "010-0000-1000"))
            )
            small, large = (lifecycle.issue_card(session, each.id, actor=SYSTEM_ACTOR).card for each in (small, large))
            return small.account_id, large.account_id, ledger.system_account(session, "issuance").id

        small_account, large_account, issuance = run_in_transaction(sessions, two_cards)
        progress(f"writing {options.postings:,} postings to one card, 10 to the other")
        fill_history(engine, small_account, issuance, 10)
        fill_history(engine, large_account, issuance, options.postings)

        session = sessions()
        invariants_ok = ledger.check_invariants(session).ok
        figures = {}
        for label, account in (("small", small_account), ("large", large_account)):
            balance = time_calls(lambda a=account: ledger.get_balance(session, a), repeat=options.repeat)
            history = time_calls(
                lambda a=account: ledger.account_history(session, a, limit=options.page), repeat=options.repeat
            )
            session.rollback()
            figures[f"balance_{label}_ms"] = round(median(balance), 4)
            figures[f"balance_{label}_p99_ms"] = round(percentile(balance, 0.99), 4)
            figures[f"history_{label}_ms"] = round(median(history), 4)
            figures[f"history_{label}_p99_ms"] = round(percentile(history, 0.99), 4)
        session.close()
        engine.dispose()

    report(
        {
            "benchmark": "balance",
            "postings_large": options.postings,
            **figures,
            "balance_ratio": round(figures["balance_large_ms"] / figures["balance_small_ms"], 3),
            "history_ratio": round(figures["history_large_ms"] / figures["history_small_ms"], 3),
            "invariants_ok": invariants_ok,
        }
    )


if __name__ == "__main__":
    main()
