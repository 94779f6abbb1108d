"""causes, donations, campaigns, disbursements, expiry

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('causes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('receiving_organisation', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('target_points', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('target_points IS NULL OR target_points > 0', name=op.f('ck_causes_target_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_causes_account_id_accounts')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_causes_created_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_causes')),
    sa.UniqueConstraint('account_id', name=op.f('uq_causes_account_id')),
    sa.UniqueConstraint('name', name=op.f('uq_causes_name'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('cause_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points_per_volunteer', sa.BigInteger(), nullable=True),
    sa.Column('selection', sa.JSON(), nullable=False),
    sa.Column('consent_method', sa.String(length=16), nullable=False),
    sa.Column('consent_note', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('points_per_volunteer IS NULL OR points_per_volunteer > 0', name=op.f('ck_campaigns_points_per_volunteer_positive')),
    sa.ForeignKeyConstraint(['cause_id'], ['causes.id'], name=op.f('fk_campaigns_cause_id_causes')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_campaigns_created_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_cause_id'), ['cause_id'], unique=False)

    op.create_table('disbursements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cause_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('attachment_ref', sa.String(length=300), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recorded_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points > 0', name=op.f('ck_disbursements_points_positive')),
    sa.ForeignKeyConstraint(['cause_id'], ['causes.id'], name=op.f('fk_disbursements_cause_id_causes')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_disbursements_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], name=op.f('fk_disbursements_recorded_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursements')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_disbursements_entry_id'))
    )
    with op.batch_alter_table('disbursements', schema=None) as batch_op:
        batch_op.create_index('ix_disbursements_cause_id_id', ['cause_id', 'id'], unique=False)

    op.create_table('expiry_donation_choices',
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cause_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cause_id'], ['causes.id'], name=op.f('fk_expiry_donation_choices_cause_id_causes')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_expiry_donation_choices_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('volunteer_id', name=op.f('pk_expiry_donation_choices'))
    )
    op.create_table('donations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cause_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('consent_method', sa.String(length=16), nullable=True),
    sa.Column('consent_note', sa.Text(), nullable=False),
    sa.Column('witness_name', sa.String(length=100), nullable=True),
    sa.Column('witness_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points > 0', name=op.f('ck_donations_points_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_donations_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['cause_id'], ['causes.id'], name=op.f('fk_donations_cause_id_causes')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_donations_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], name=op.f('fk_donations_recorded_by_user_id_users')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_donations_volunteer_id_volunteers')),
    sa.ForeignKeyConstraint(['witness_user_id'], ['users.id'], name=op.f('fk_donations_witness_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donations')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_donations_entry_id'))
    )
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donations_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_donations_cause_id_id', ['cause_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_donations_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_donations_volunteer_id_id', ['volunteer_id', 'id'], unique=False)

    op.create_table('campaign_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=True),
    sa.Column('donation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_items_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_campaign_items_donation_id_donations')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_campaign_items_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_campaign_items_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_items')),
    sa.UniqueConstraint('campaign_id', 'volunteer_id', name='uq_campaign_items_campaign_id_volunteer_id'),
    sa.UniqueConstraint('donation_id', name=op.f('uq_campaign_items_donation_id')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_campaign_items_entry_id'))
    )
    with op.batch_alter_table('campaign_items', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_items_campaign_id_state_id', ['campaign_id', 'state', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('campaign_items', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_items_campaign_id_state_id')

    op.drop_table('campaign_items')
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_index('ix_donations_volunteer_id_id')
        batch_op.drop_index(batch_op.f('ix_donations_created_at'))
        batch_op.drop_index('ix_donations_cause_id_id')
        batch_op.drop_index(batch_op.f('ix_donations_campaign_id'))

    op.drop_table('donations')
    op.drop_table('expiry_donation_choices')
    with op.batch_alter_table('disbursements', schema=None) as batch_op:
        batch_op.drop_index('ix_disbursements_cause_id_id')

    op.drop_table('disbursements')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_cause_id'))

    op.drop_table('campaigns')
    op.drop_table('causes')
