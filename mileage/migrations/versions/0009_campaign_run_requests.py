"""campaign run requests: staff ask for a run, the worker (or `mileage run-campaigns`) does it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("run_requested_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                      nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_campaigns_run_requested_by_user_id_users"), "users", ["run_requested_by_user_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_campaigns_run_requested_at"), ["run_requested_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_run_requested_at"))
        batch_op.drop_constraint(batch_op.f("fk_campaigns_run_requested_by_user_id_users"), type_="foreignkey")
        batch_op.drop_column("run_requested_by_user_id")
        batch_op.drop_column("run_requested_at")
