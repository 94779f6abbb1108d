"""ledger refusals: a refused idempotency key keeps its refusal

A journal row of kind "refusal" holds no postings: it records that the ledger refused the request
made with its idempotency key (insufficient balance, ...), so that the key can never post later.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: on SQLite a batch rebuild would drop the append-only triggers.
    op.add_column("journal_entries", sa.Column("refusal", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Refusal rows stay (history is append-only); older code reads them as entries without postings.
    op.drop_column("journal_entries", "refusal")
