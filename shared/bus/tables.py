"""Tables every component keeps in its own database: outbox (events to publish) and inbox (events applied)."""
from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

from shared.db import UTCDateTime

bus_metadata = MetaData()

outbox = Table(
    "outbox",
    bus_metadata,
    Column("id", String(36), primary_key=True),
    Column("type", String(120), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    # How many times the broker refused the row (a nack, or the channel closed on it); a cut does not count.
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(500), nullable=True),      # why the broker refused it, last time
    Column("set_aside_at", UTCDateTime(), nullable=True),  # refused too often: the relay no longer tries
)
# The relay only ever reads rows still to publish: keep that index small.
PENDING = outbox.c.sent_at.is_(None) & outbox.c.set_aside_at.is_(None)
Index("ix_outbox_pending", outbox.c.created_at, postgresql_where=PENDING, sqlite_where=PENDING)
Index("ix_outbox_set_aside", outbox.c.set_aside_at, postgresql_where=outbox.c.set_aside_at.isnot(None),
      sqlite_where=outbox.c.set_aside_at.isnot(None))
Index("ix_outbox_sent_at", outbox.c.sent_at)     # the retention deletes by it

inbox = Table(
    "inbox",
    bus_metadata,
    Column("consumer", String(120), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("type", String(120), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Index("ix_inbox_received_at", "received_at"),   # the retention deletes by it
)
