"""Changes to the bus tables, which every component's own Alembic history applies by calling these.

One pair of functions per change, frozen once released (a later change gets a new pair), so that
the five histories stay alike without five copies of the same operations."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_UNSENT = sa.text("sent_at IS NULL")
_PENDING = sa.text("sent_at IS NULL AND set_aside_at IS NULL")
_SET_ASIDE = sa.text("set_aside_at IS NOT NULL")


def set_aside_and_retention_upgrade() -> None:
    """Outbox rows the broker keeps refusing are set aside with a reason; indexes for the retention."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index("ix_outbox_unsent", postgresql_where=_UNSENT, sqlite_where=_UNSENT)
        batch_op.create_index("ix_outbox_pending", ["created_at"], unique=False,
                              postgresql_where=_PENDING, sqlite_where=_PENDING)
        batch_op.create_index("ix_outbox_set_aside", ["set_aside_at"], unique=False,
                              postgresql_where=_SET_ASIDE, sqlite_where=_SET_ASIDE)
        batch_op.create_index("ix_outbox_sent_at", ["sent_at"], unique=False)
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_received_at", ["received_at"], unique=False)


def set_aside_and_retention_downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_received_at")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_sent_at")
        batch_op.drop_index("ix_outbox_set_aside", postgresql_where=_SET_ASIDE, sqlite_where=_SET_ASIDE)
        batch_op.drop_index("ix_outbox_pending", postgresql_where=_PENDING, sqlite_where=_PENDING)
        batch_op.create_index("ix_outbox_unsent", ["created_at"], unique=False,
                              postgresql_where=_UNSENT, sqlite_where=_UNSENT)
        batch_op.drop_column("set_aside_at")
        batch_op.drop_column("last_error")
