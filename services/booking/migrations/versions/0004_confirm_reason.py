"""reservations keep the reason a veilleur may give when confirming

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('reservations', sa.Column('confirm_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('reservations', 'confirm_reason')
