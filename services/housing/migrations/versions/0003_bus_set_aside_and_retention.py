"""bus: outbox rows set aside after repeated refusals; indexes for the retention of outbox and inbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00
"""
from shared.bus.revisions import set_aside_and_retention_downgrade, set_aside_and_retention_upgrade

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    set_aside_and_retention_upgrade()


def downgrade() -> None:
    set_aside_and_retention_downgrade()
