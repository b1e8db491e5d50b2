"""amap relay

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:20:52.271348
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('producers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('produce', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('contracts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('producer_id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('weekday', sa.String(length=3), nullable=False),
    sa.Column('window_opens', sa.String(length=5), nullable=False),
    sa.Column('window_closes', sa.String(length=5), nullable=False),
    sa.Column('season_start', sa.Date(), nullable=False),
    sa.Column('season_end', sa.Date(), nullable=False),
    sa.Column('max_shares', sa.Integer(), nullable=True),
    sa.Column('absence_allowance', sa.Integer(), nullable=False),
    sa.Column('absence_cutoff_hours', sa.Integer(), nullable=False),
    sa.Column('absent_baskets', sa.String(length=20), nullable=False),
    sa.Column('openers_needed', sa.Integer(), nullable=False),
    sa.Column('distributors_needed', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['producer_id'], ['producers.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_producer_id'), ['producer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_site_id'), ['site_id'], unique=False)

    op.create_table('basket_kinds',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('solidarity_price_cents', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id', 'name', name='uq_basket_kinds_contract_name')
    )
    with op.batch_alter_table('basket_kinds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_basket_kinds_contract_id'), ['contract_id'], unique=False)

    op.create_table('distributions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unstaffed_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id', 'sequence', name='uq_distributions_contract_sequence')
    )
    with op.batch_alter_table('distributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_distributions_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_distributions_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_distributions_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_distributions_starts_at'), ['starts_at'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('distribution_id', sa.String(length=36), nullable=False),
    sa.Column('basket_kind_id', sa.String(length=36), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('arrived', sa.Integer(), nullable=False),
    sa.Column('checked_in_by', sa.String(length=64), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['basket_kind_id'], ['basket_kinds.id'], ),
    sa.ForeignKeyConstraint(['distribution_id'], ['distributions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('distribution_id', 'basket_kind_id', name='uq_deliveries_kind')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_distribution_id'), ['distribution_id'], unique=False)

    op.create_table('roster_entries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('distribution_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['distribution_id'], ['distributions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('distribution_id', 'account_id', 'role', name='uq_roster_entry')
    )
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_entries_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_entries_distribution_id'), ['distribution_id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=False),
    sa.Column('basket_kind_id', sa.String(length=36), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=True),
    sa.Column('partner_account_id', sa.String(length=64), nullable=True),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('partner_display_name', sa.String(length=120), nullable=False),
    sa.Column('solidarity', sa.Boolean(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['basket_kind_id'], ['basket_kinds.id'], ),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_partner_account_id'), ['partner_account_id'], unique=False)

    op.create_table('baskets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('distribution_id', sa.String(length=36), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('basket_kind_id', sa.String(length=36), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('pickup_code', sa.String(length=12), nullable=False),
    sa.Column('proxy_account_id', sa.String(length=64), nullable=True),
    sa.Column('proxy_code', sa.String(length=12), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('absent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('collected_by', sa.String(length=64), nullable=True),
    sa.Column('collected_via', sa.String(length=20), nullable=True),
    sa.Column('collected_quantity', sa.Integer(), nullable=True),
    sa.Column('unclaimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unclaimed_quantity', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['basket_kind_id'], ['basket_kinds.id'], ),
    sa.ForeignKeyConstraint(['distribution_id'], ['distributions.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('distribution_id', 'pickup_code', name='uq_baskets_pickup_code'),
    sa.UniqueConstraint('distribution_id', 'proxy_code', name='uq_baskets_proxy_code'),
    sa.UniqueConstraint('distribution_id', 'subscription_id', name='uq_baskets_subscription')
    )
    with op.batch_alter_table('baskets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_baskets_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_baskets_distribution_id'), ['distribution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_baskets_proxy_account_id'), ['proxy_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_baskets_subscription_id'), ['subscription_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('baskets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_baskets_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_baskets_proxy_account_id'))
        batch_op.drop_index(batch_op.f('ix_baskets_distribution_id'))
        batch_op.drop_index(batch_op.f('ix_baskets_account_id'))

    op.drop_table('baskets')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_partner_account_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_contract_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_account_id'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_entries_distribution_id'))
        batch_op.drop_index(batch_op.f('ix_roster_entries_account_id'))

    op.drop_table('roster_entries')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_distribution_id'))

    op.drop_table('deliveries')
    with op.batch_alter_table('distributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_distributions_starts_at'))
        batch_op.drop_index(batch_op.f('ix_distributions_site_id'))
        batch_op.drop_index(batch_op.f('ix_distributions_ends_at'))
        batch_op.drop_index(batch_op.f('ix_distributions_contract_id'))

    op.drop_table('distributions')
    with op.batch_alter_table('basket_kinds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_basket_kinds_contract_id'))

    op.drop_table('basket_kinds')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_site_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_producer_id'))

    op.drop_table('contracts')
    op.drop_table('producers')
