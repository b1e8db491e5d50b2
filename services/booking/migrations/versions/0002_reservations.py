"""reservations, series, closures, calendar tokens; room booking policy

On PostgreSQL an exclusion constraint (btree_gist) makes two active reservations of one room
overlapping, buffer included, impossible even under concurrent requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:16:59.352923
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

APPROVAL_DEFAULT = '["association", "citizen_group", "public_body", "company"]'


def upgrade() -> None:
    op.create_table('calendar_tokens',
    sa.Column('organisation_id', sa.String(length=36), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('organisation_id'),
    sa.UniqueConstraint('token_digest')
    )
    op.create_table('closures',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closures_site_id'), ['site_id'], unique=False)

    op.create_table('reservation_series',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('room_id', sa.String(length=36), nullable=False),
    sa.Column('frequency', sa.String(length=20), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('requester_id', sa.String(length=80), nullable=True),
    sa.Column('organisation_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reservation_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservation_series_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservation_series_room_id'), ['room_id'], unique=False)

    op.create_table('reservations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('room_id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('series_id', sa.String(length=36), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('requester_id', sa.String(length=80), nullable=True),
    sa.Column('organisation_id', sa.String(length=36), nullable=True),
    sa.Column('rate_kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('list_price_cents', sa.Integer(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('price_breakdown', sa.JSON(), nullable=False),
    sa.Column('money_box', sa.Boolean(), nullable=False),
    sa.Column('price_reason', sa.Text(), nullable=True),
    sa.Column('contribution_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ),
    sa.ForeignKeyConstraint(['series_id'], ['reservation_series.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservations_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index('ix_reservations_room_span', ['room_id', 'starts_at', 'blocked_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_series_id'), ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_site_id'), ['site_id'], unique=False)

    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_required_for', sa.JSON(), nullable=False,
                                      server_default=APPROVAL_DEFAULT))
        batch_op.add_column(sa.Column('min_duration_minutes', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('max_duration_minutes', sa.Integer(), nullable=False, server_default='720'))
        batch_op.add_column(sa.Column('horizon_days', sa.Integer(), nullable=False, server_default='180'))
        batch_op.add_column(sa.Column('buffer_minutes', sa.Integer(), nullable=False, server_default='0'))

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE reservations ADD CONSTRAINT reservations_no_overlap EXCLUDE USING gist "
            "(room_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) "
            "WHERE (status IN ('requested', 'confirmed'))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE reservations DROP CONSTRAINT IF EXISTS reservations_no_overlap")
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('buffer_minutes')
        batch_op.drop_column('horizon_days')
        batch_op.drop_column('max_duration_minutes')
        batch_op.drop_column('min_duration_minutes')
        batch_op.drop_column('approval_required_for')

    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservations_site_id'))
        batch_op.drop_index(batch_op.f('ix_reservations_series_id'))
        batch_op.drop_index('ix_reservations_room_span')
        batch_op.drop_index(batch_op.f('ix_reservations_requester_id'))
        batch_op.drop_index(batch_op.f('ix_reservations_organisation_id'))

    op.drop_table('reservations')
    with op.batch_alter_table('reservation_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservation_series_room_id'))
        batch_op.drop_index(batch_op.f('ix_reservation_series_requester_id'))

    op.drop_table('reservation_series')
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closures_site_id'))

    op.drop_table('closures')
    op.drop_table('calendar_tokens')
