"""Alembic migrations build exactly the models' schema, come down cleanly, and guard the ledger."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from mileage import ledger, models  # noqa: F401  (importing models registers every table)
from mileage.db import Base, make_engine
from mileage.migrations_runner import alembic_config, downgrade_database, upgrade_database
from mileage.models import Account, AccountKind, JournalEntry, Posting
from tests.support.databases import configured_server_url, scratch_database


def _differences_from_models(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": Base.metadata}
        )
        return compare_metadata(context, Base.metadata)


def _state(engine) -> tuple[list[str], str | None, list[str]]:
    """Return the tables, the recorded revision and the system account codes."""
    with engine.connect() as connection:
        tables = sorted(inspect(connection).get_table_names())
        revision = MigrationContext.configure(connection).get_current_revision()
        codes = (
            sorted(connection.scalars(select(Account.code).where(Account.kind != AccountKind.CARD)))
            if "accounts" in tables
            else []
        )
    return tables, revision, codes


def test_migrations_build_the_models_schema_and_come_down_to_nothing_and_back():
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    expected_tables = sorted(Base.metadata.tables)
    system_codes = sorted(str(kind) for kind in ledger.SYSTEM_ACCOUNTS)

    with scratch_database(configured_server_url()) as url:
        engine = make_engine(url)
        try:
            upgrade_database(url)
            assert _differences_from_models(engine) == []
            tables, revision, codes = _state(engine)
            assert tables == sorted([*expected_tables, "alembic_version"])
            assert revision == head
            assert codes == system_codes

            downgrade_database(url)
            assert _state(engine) == (["alembic_version"], None, [])
            if engine.dialect.name == "postgresql":
                with engine.connect() as connection:
                    leftovers = connection.scalar(
                        text("SELECT count(*) FROM pg_proc WHERE proname = 'refuse_history_change'")
                    )
                assert leftovers == 0

            upgrade_database(url)
            assert _differences_from_models(engine) == []
            assert _state(engine) == (sorted([*expected_tables, "alembic_version"]), head, system_codes)
        finally:
            engine.dispose()


# --- the guards the migrations install ------------------------------------------------------

@pytest.fixture
def credit(session, make):
    """A card credited once: one journal entry with two postings."""
    card = make.card()
    return card, make.credit(card, 1_000)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE postings SET amount = amount + 1 WHERE entry_id = :entry",
        "UPDATE postings SET balance_after = 0 WHERE entry_id = :entry",
        "DELETE FROM postings WHERE entry_id = :entry",
        "UPDATE journal_entries SET memo = 'edited' WHERE id = :entry",
        "DELETE FROM journal_entries WHERE id = :entry",
    ],
)
def test_ledger_history_cannot_be_edited_or_deleted_even_with_sql(session, credit, statement):
    card, entry = credit

    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement), {"entry": entry.id})

    session.expire_all()
    assert session.get(JournalEntry, entry.id).memo == entry.memo
    amounts = session.scalars(select(Posting.amount).where(Posting.entry_id == entry.id))
    assert sorted(amounts) == [-1_000, 1_000]


def test_a_card_balance_below_zero_is_refused_even_with_sql(session, credit):
    card, _entry = credit

    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(text("UPDATE accounts SET balance = -1 WHERE id = :id"), {"id": card.account_id})

    assert ledger.get_balance(session, card.account_id) == 1_000


def test_only_the_issuance_account_may_run_below_zero(session, credit):
    issuance = ledger.system_account(session, AccountKind.ISSUANCE)
    assert ledger.get_balance(session, issuance.id) < 0
    for kind in (AccountKind.EXPIRED, AccountKind.DISBURSED, AccountKind.HOLDS):
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(
                text("UPDATE accounts SET balance = -1 WHERE id = :id"),
                {"id": ledger.system_account(session, kind).id},
            )


def test_a_zero_posting_is_refused_by_the_database(session, credit):
    card, entry = credit

    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text(
                "INSERT INTO postings (entry_id, account_id, amount, balance_after, created_at) "
                "VALUES (:entry, :account, 0, 1000, CURRENT_TIMESTAMP)"
            ),
            {"entry": entry.id, "account": card.account_id},
        )
