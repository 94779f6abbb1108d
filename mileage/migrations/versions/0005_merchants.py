"""partner shops, offers, terminals, redemptions, holds, refunds, settlement

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('merchants',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('business_number', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_merchants_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchants')),
    sa.UniqueConstraint('account_id', name=op.f('uq_merchants_account_id')),
    sa.UniqueConstraint('business_number', name=op.f('uq_merchants_business_number'))
    )
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merchants_name'), ['name'], unique=False)

    op.create_table('merchant_offers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('max_discount', sa.BigInteger(), nullable=False),
    sa.Column('min_purchase', sa.BigInteger(), nullable=False),
    sa.Column('weekdays', sa.Integer(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=True),
    sa.Column('end_minute', sa.Integer(), nullable=True),
    sa.Column('created_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(start_minute IS NULL AND end_minute IS NULL) OR (0 <= start_minute AND start_minute < end_minute AND end_minute <= 1440)', name=op.f('ck_merchant_offers_hours_in_range')),
    sa.CheckConstraint('max_discount > 0', name=op.f('ck_merchant_offers_max_discount_positive')),
    sa.CheckConstraint('min_purchase >= 0', name=op.f('ck_merchant_offers_min_purchase_not_negative')),
    sa.CheckConstraint('rate_bp > 0 AND rate_bp <= 10000', name=op.f('ck_merchant_offers_rate_in_range')),
    sa.CheckConstraint('weekdays > 0 AND weekdays <= 127', name=op.f('ck_merchant_offers_weekdays_in_range')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_merchant_offers_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_merchant_offers_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_offers')),
    sa.UniqueConstraint('merchant_id', 'version', name='uq_merchant_offers_merchant_id_version')
    )

    op.create_table('merchant_terminals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('secret_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_merchant_terminals_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_terminals')),
    sa.UniqueConstraint('key_id', name=op.f('uq_merchant_terminals_key_id'))
    )
    with op.batch_alter_table('merchant_terminals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merchant_terminals_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('settlement_closures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('closed_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_user_id'], ['users.id'], name=op.f('fk_settlement_closures_closed_by_user_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_settlement_closures_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_closures')),
    sa.UniqueConstraint('merchant_id', 'period_kind', 'period_start', name='uq_settlement_closures_merchant_id_period')
    )

    op.create_table('redemption_holds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('terminal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('offer_version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('purchase_amount', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=300), nullable=True),
    sa.Column('authorize_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('settle_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_redemption_holds_amount_positive')),
    sa.ForeignKeyConstraint(['authorize_entry_id'], ['journal_entries.id'], name=op.f('fk_redemption_holds_authorize_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_redemption_holds_card_id_cards')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_redemption_holds_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['offer_version_id'], ['merchant_offers.id'], name=op.f('fk_redemption_holds_offer_version_id_merchant_offers')),
    sa.ForeignKeyConstraint(['settle_entry_id'], ['journal_entries.id'], name=op.f('fk_redemption_holds_settle_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['terminal_id'], ['merchant_terminals.id'], name=op.f('fk_redemption_holds_terminal_id_merchant_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemption_holds')),
    sa.UniqueConstraint('authorize_entry_id', name=op.f('uq_redemption_holds_authorize_entry_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_redemption_holds_idempotency_key')),
    sa.UniqueConstraint('settle_entry_id', name=op.f('uq_redemption_holds_settle_entry_id'))
    )
    with op.batch_alter_table('redemption_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redemption_holds_card_id'), ['card_id'], unique=False)
        batch_op.create_index('ix_redemption_holds_merchant_id_id', ['merchant_id', 'id'], unique=False)
        batch_op.create_index('ix_redemption_holds_status_expires_at', ['status', 'expires_at'], unique=False)

    op.create_table('redemptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('terminal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('offer_version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hold_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('purchase_amount', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('refunded_amount', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=300), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('settlement_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('discount > 0', name=op.f('ck_redemptions_discount_positive')),
    sa.CheckConstraint('refunded_amount >= 0 AND refunded_amount <= discount', name=op.f('ck_redemptions_refunds_within_discount')),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_redemptions_card_id_cards')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_redemptions_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['hold_id'], ['redemption_holds.id'], name=op.f('fk_redemptions_hold_id_redemption_holds')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_redemptions_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['offer_version_id'], ['merchant_offers.id'], name=op.f('fk_redemptions_offer_version_id_merchant_offers')),
    sa.ForeignKeyConstraint(['terminal_id'], ['merchant_terminals.id'], name=op.f('fk_redemptions_terminal_id_merchant_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemptions')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_redemptions_entry_id')),
    sa.UniqueConstraint('hold_id', name=op.f('uq_redemptions_hold_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_redemptions_idempotency_key'))
    )
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redemptions_card_id'), ['card_id'], unique=False)
        batch_op.create_index('ix_redemptions_merchant_id_id', ['merchant_id', 'id'], unique=False)
        batch_op.create_index('ix_redemptions_merchant_id_settlement_date', ['merchant_id', 'settlement_date'], unique=False)

    op.create_table('redemption_refunds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('redemption_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('terminal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('idempotency_key', sa.String(length=300), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('settlement_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_redemption_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_redemption_refunds_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_redemption_refunds_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemptions.id'], name=op.f('fk_redemption_refunds_redemption_id_redemptions')),
    sa.ForeignKeyConstraint(['terminal_id'], ['merchant_terminals.id'], name=op.f('fk_redemption_refunds_terminal_id_merchant_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemption_refunds')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_redemption_refunds_entry_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_redemption_refunds_idempotency_key'))
    )
    with op.batch_alter_table('redemption_refunds', schema=None) as batch_op:
        batch_op.create_index('ix_redemption_refunds_merchant_id_id', ['merchant_id', 'id'], unique=False)
        batch_op.create_index('ix_redemption_refunds_merchant_id_settlement_date', ['merchant_id', 'settlement_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_refunds_redemption_id'), ['redemption_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('redemption_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemption_refunds_redemption_id'))
        batch_op.drop_index('ix_redemption_refunds_merchant_id_settlement_date')
        batch_op.drop_index('ix_redemption_refunds_merchant_id_id')

    op.drop_table('redemption_refunds')
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_redemptions_merchant_id_settlement_date')
        batch_op.drop_index('ix_redemptions_merchant_id_id')
        batch_op.drop_index(batch_op.f('ix_redemptions_card_id'))

    op.drop_table('redemptions')
    with op.batch_alter_table('redemption_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_redemption_holds_status_expires_at')
        batch_op.drop_index('ix_redemption_holds_merchant_id_id')
        batch_op.drop_index(batch_op.f('ix_redemption_holds_card_id'))

    op.drop_table('redemption_holds')
    op.drop_table('settlement_closures')
    with op.batch_alter_table('merchant_terminals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchant_terminals_merchant_id'))

    op.drop_table('merchant_terminals')
    op.drop_table('merchant_offers')
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchants_name'))

    op.drop_table('merchants')
