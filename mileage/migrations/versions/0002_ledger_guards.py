"""ledger guards: system accounts, and triggers that keep history append-only

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SYSTEM_ACCOUNT_KINDS = ("issuance", "disbursed", "expired", "holds")
APPEND_ONLY_TABLES = ("journal_entries", "postings")


def upgrade() -> None:
    accounts = sa.table(
        "accounts",
        sa.column("kind", sa.String),
        sa.column("code", sa.String),
        sa.column("balance", sa.BigInteger),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        accounts,
        [{"kind": kind, "code": kind, "balance": 0, "created_at": datetime.now(UTC)} for kind in SYSTEM_ACCOUNT_KINDS],
    )
    # A correction is a new entry, never an edit: the database refuses UPDATE and DELETE of history.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION refuse_history_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'ledger history is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
            )
    else:
        for table in APPEND_ONLY_TABLES:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_append_only_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger history is append-only'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION refuse_history_change()")
    else:
        for table in APPEND_ONLY_TABLES:
            for operation in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_append_only_{operation}")
    op.execute(
        "DELETE FROM accounts WHERE code IN ('issuance', 'disbursed', 'expired', 'holds')"
    )
