"""basket kinds say what they hold as a code (vegetables, fruit, ...), for the grocery

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('basket_kinds', sa.Column('category', sa.String(length=24), nullable=False,
                                            server_default='vegetables'))


def downgrade() -> None:
    op.drop_column('basket_kinds', 'category')
