"""staff hours API

No schema change: the staff hours API works on the volunteers, cards, organisations, users, claims
and audit_events tables that earlier revisions created. The revision stays so the chain is stable.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change."""


def downgrade() -> None:
    """Nothing to undo."""
