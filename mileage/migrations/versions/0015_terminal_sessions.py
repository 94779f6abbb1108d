"""terminal sessions (the counter keeps a revocable session, never the secret); claim approval batches (undo);
console sessions (sign-out ends the sign-in on the server). users.must_change_password comes from 0011.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "terminal_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("terminal_id", BIG_ID, nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("persistent", sa.Boolean(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["terminal_id"], ["merchant_terminals.id"],
                                name=op.f("fk_terminal_sessions_terminal_id_merchant_terminals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_sessions")),
    )
    op.create_index(op.f("ix_terminal_sessions_terminal_id"), "terminal_sessions", ["terminal_id"], unique=False)
    op.create_index(op.f("ix_terminal_sessions_family"), "terminal_sessions", ["family"], unique=False)

    op.create_table(
        "claim_batches",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("approved_by_user_id", BIG_ID, nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("total_points", sa.Integer(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_user_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(["approved_by_user_id"], ["users.id"],
                                name=op.f("fk_claim_batches_approved_by_user_id_users")),
        sa.ForeignKeyConstraint(["undone_by_user_id"], ["users.id"],
                                name=op.f("fk_claim_batches_undone_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_batches")),
    )
    op.create_table(
        "claim_batch_items",
        sa.Column("batch_id", BIG_ID, nullable=False),
        sa.Column("claim_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["claim_batches.id"], name=op.f("fk_claim_batch_items_batch_id_claim_batches")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_batch_items_claim_id_claims")),
        sa.PrimaryKeyConstraint("batch_id", "claim_id", name=op.f("pk_claim_batch_items")),
    )
    op.create_index(op.f("ix_claim_batch_items_claim_id"), "claim_batch_items", ["claim_id"], unique=False)

    op.create_table(
        "console_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_console_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sessions_token_hash")),
    )
    op.create_index(op.f("ix_console_sessions_user_id"), "console_sessions", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_console_sessions_user_id"), table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_index(op.f("ix_claim_batch_items_claim_id"), table_name="claim_batch_items")
    op.drop_table("claim_batch_items")
    op.drop_table("claim_batches")
    op.drop_index(op.f("ix_terminal_sessions_family"), table_name="terminal_sessions")
    op.drop_index(op.f("ix_terminal_sessions_terminal_id"), table_name="terminal_sessions")
    op.drop_table("terminal_sessions")
