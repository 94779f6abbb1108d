"""QR token nonces for the volunteer's dynamic card

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('used_qr_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_used_qr_tokens_card_id_cards')),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_used_qr_tokens'))
    )
    with op.batch_alter_table('used_qr_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_qr_tokens_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_used_qr_tokens_expires_at'), ['expires_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('used_qr_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_qr_tokens_expires_at'))
        batch_op.drop_index(batch_op.f('ix_used_qr_tokens_card_id'))

    op.drop_table('used_qr_tokens')
