"""notifications: log, mails waiting, decisions, digests, preferences, confirmed addresses, account tokens

Accounts that exist before this revision are taken as confirmed: they were created by an admin, by the
demo data, or signed up before the platform sent any mail, and asking each of them to confirm first would
silence every reminder the day this ships. New accounts confirm their address by a link.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notifications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=True),
    sa.Column('dedup_key', sa.String(length=250), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedup_key')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_account_id', ['account_id'], unique=False)
        batch_op.create_index('ix_notifications_due', ['next_attempt_at'], unique=False,
                              postgresql_where=sa.text("status = 'queued'"), sqlite_where=sa.text("status = 'queued'"))
        batch_op.create_index('ix_notifications_status_created', ['status', 'created_at'], unique=False)
    op.create_table('notification_mails',
    sa.Column('notification_id', sa.String(length=36), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('message', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('notification_id')
    )
    op.create_table('notification_decisions',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_notification_decisions_pending', ['next_attempt_at'], unique=False,
                              postgresql_where=sa.text('decided_at IS NULL'), sqlite_where=sa.text('decided_at IS NULL'))
    op.create_table('notification_digest_items',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('digest', sa.String(length=60), nullable=False),
    sa.Column('group_key', sa.String(length=120), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification_digest_items', schema=None) as batch_op:
        batch_op.create_index('ix_notification_digest_pending', ['digest', 'group_key', 'created_at'], unique=False)
    op.create_table('notification_preferences',
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'topic')
    )
    op.create_table('confirmed_addresses',
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('account_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_account_tokens_account_id', ['account_id'], unique=False)
    # Accounts made before mail existed keep receiving what they are used to (see the docstring).
    op.execute("INSERT INTO confirmed_addresses (account_id, email, confirmed_at) "
               "SELECT id, email, created_at FROM accounts")


def downgrade() -> None:
    op.drop_table('account_tokens')
    op.drop_table('confirmed_addresses')
    op.drop_table('notification_preferences')
    op.drop_table('notification_digest_items')
    op.drop_table('notification_decisions')
    op.drop_table('notification_mails')
    op.drop_table('notifications')
