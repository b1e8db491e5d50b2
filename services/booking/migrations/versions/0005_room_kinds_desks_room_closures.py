"""rooms have a kind and coworking desks; a reservation says how many desks it takes; a closure may close one room

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='meeting'))
        batch_op.add_column(sa.Column('desks', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('desks', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_closures_room_id'), ['room_id'], unique=False)
        batch_op.create_foreign_key('fk_closures_room_id_rooms', 'rooms', ['room_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.drop_constraint('fk_closures_room_id_rooms', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_closures_room_id'))
        batch_op.drop_column('room_id')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_column('desks')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('desks')
        batch_op.drop_column('kind')
