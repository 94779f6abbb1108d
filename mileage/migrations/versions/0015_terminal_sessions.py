"""terminal sessions: the counter page keeps a rotating, revocable session instead of the terminal secret

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0009"
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


def downgrade() -> None:
    op.drop_index(op.f("ix_terminal_sessions_family"), table_name="terminal_sessions")
    op.drop_index(op.f("ix_terminal_sessions_terminal_id"), table_name="terminal_sessions")
    op.drop_table("terminal_sessions")
