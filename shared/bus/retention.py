"""Retention of the bus tables: sent outbox rows and inbox rows older than BUS_RETENTION_DAYS go.

Each worker deletes them periodically, a small batch per transaction so that neither the relay nor
the consumers wait on a long delete. Rows still to publish and rows set aside stay, whatever their
age. An event delivered again after its inbox row went would be applied again: the retention
(14 days by default) is far beyond any redelivery, and handlers are idempotent besides."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, tuple_

from shared.bus.tables import inbox, outbox
from shared.db import Database
from shared.events import utcnow

BATCH_SIZE = 500
MAX_BATCHES_PER_ROUND = 200     # at most 100,000 rows a round; the next round goes on
EVERY_SECONDS = 3600.0


def _delete_in_batches(db: Database, statement_for, batch_size: int, max_batches: int) -> int:
    deleted = 0
    for _ in range(max_batches):
        with db.engine.begin() as conn:
            count = conn.execute(statement_for(batch_size)).rowcount
        deleted += count
        if count < batch_size:
            break
    return deleted


def purge_bus_tables(db: Database, now: datetime, retention: timedelta, batch_size: int = BATCH_SIZE,
                     max_batches: int = MAX_BATCHES_PER_ROUND) -> dict:
    """Delete the sent outbox rows and the inbox rows older than `retention` at `now`."""
    cutoff = now - retention

    def old_outbox(limit):
        old = select(outbox.c.id).where(outbox.c.sent_at < cutoff).limit(limit)
        return delete(outbox).where(outbox.c.id.in_(old.scalar_subquery()))

    def old_inbox(limit):
        old = select(inbox.c.consumer, inbox.c.event_id).where(inbox.c.received_at < cutoff).limit(limit)
        return delete(inbox).where(tuple_(inbox.c.consumer, inbox.c.event_id).in_(old))

    return {"outbox": _delete_in_batches(db, old_outbox, batch_size, max_batches),
            "inbox": _delete_in_batches(db, old_inbox, batch_size, max_batches)}


class BusRetention:
    """The periodic task: `BusRetention(days)(db)`; `clock` gives "now" (tests set it)."""

    def __init__(self, days: int, clock: Callable[[], datetime] = utcnow, batch_size: int = BATCH_SIZE):
        if days < 1:
            raise ValueError("BUS_RETENTION_DAYS must be at least 1")
        self.retention, self.clock, self.batch_size = timedelta(days=days), clock, batch_size

    def __call__(self, db: Database) -> dict | None:
        deleted = purge_bus_tables(db, self.clock(), self.retention, self.batch_size)
        return deleted if any(deleted.values()) else None
