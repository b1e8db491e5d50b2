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
    Column("attempts", Integer, nullable=False, default=0),
)
# The relay only ever reads unsent rows: keep that index small.
Index(
    "ix_outbox_unsent", outbox.c.created_at,
    postgresql_where=outbox.c.sent_at.is_(None), sqlite_where=outbox.c.sent_at.is_(None),
)

inbox = Table(
    "inbox",
    bus_metadata,
    Column("consumer", String(120), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("type", String(120), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
)
