"""The worker's retention of the bus tables, on PostgreSQL, with "now" from a clock the test sets."""
import threading
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, insert, select

from shared.bus.retention import purge_bus_tables
from shared.bus.tables import inbox, outbox
from shared.config import Settings
from shared.worker import bus_retention_task
from tests.support.bus import wait_until

NOW = datetime(2027, 3, 28, 1, 30, tzinfo=timezone.utc)   # the clock the test sets
DAY = timedelta(days=1)


def add_outbox(db, label, created_at, sent_at=None, set_aside_at=None):
    row_id = str(uuid.uuid4())
    with db.transaction() as session:
        session.execute(insert(outbox).values(
            id=row_id, type="booking.room.created", body="{}", created_at=created_at, sent_at=sent_at,
            attempts=5 if set_aside_at else 0, set_aside_at=set_aside_at,
            last_error="refused by the broker (basic.nack)" if set_aside_at else None))
    return label, row_id


def add_inbox(db, label, received_at, consumer="booking.sites"):
    event_id = str(uuid.uuid4())
    with db.transaction() as session:
        session.execute(insert(inbox).values(consumer=consumer, event_id=event_id,
                                             type="platform.site.created", received_at=received_at))
    return label, event_id


def test_the_worker_deletes_sent_outbox_rows_and_inbox_rows_past_the_retention_in_small_batches(pg_database):
    db = pg_database("booking")
    old, recent = NOW - 15 * DAY, NOW - 13 * DAY
    outbox_rows = [add_outbox(db, "old sent", old - DAY, sent_at=old) for _ in range(7)] + [
        add_outbox(db, "recent sent", recent - DAY, sent_at=recent),
        add_outbox(db, "sent just within", NOW - 14 * DAY - DAY, sent_at=NOW - 14 * DAY + timedelta(minutes=1)),
        add_outbox(db, "old, never sent", old - 30 * DAY),
        add_outbox(db, "old, set aside", old - 30 * DAY, set_aside_at=old - 29 * DAY),
    ]
    inbox_rows = [add_inbox(db, "old", old, consumer=f"booking.q{i % 2}") for i in range(6)] + [
        add_inbox(db, "recent", recent), add_inbox(db, "within", NOW - 14 * DAY + timedelta(minutes=1))]

    task = bus_retention_task(Settings.from_env("booking", database_url=db.url), clock=lambda: NOW)
    task.task.batch_size = 3       # several small batches
    task.first_delay, task.interval = 0.0, 0.01
    task.db = db
    thread = threading.Thread(target=task.run_forever, daemon=True)
    thread.start()
    try:
        def remaining():
            with db.sessions() as session:
                return (set(session.scalars(select(outbox.c.id))),
                        set(session.scalars(select(inbox.c.event_id))))
        kept_outbox = {row_id for label, row_id in outbox_rows if label != "old sent"}
        kept_inbox = {event_id for label, event_id in inbox_rows if label != "old"}
        assert wait_until(lambda: remaining() == (kept_outbox, kept_inbox), timeout=10), remaining()
    finally:
        task.stop()
        thread.join(5)
    assert task.name == "bus retention" and task.task.retention == 14 * DAY


def test_one_round_deletes_everything_past_the_retention_a_batch_per_transaction(pg_database):
    db = pg_database("relay")
    for _ in range(7):
        add_outbox(db, "old sent", NOW - 20 * DAY, sent_at=NOW - 20 * DAY)
        add_inbox(db, "old", NOW - 20 * DAY)
    statements = []

    def count_deletes(conn, cursor, statement, *args):
        if statement.startswith("DELETE"):
            statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", count_deletes)
    assert purge_bus_tables(db, NOW, 14 * DAY, batch_size=3) == {"outbox": 7, "inbox": 7}
    assert len(statements) == 6      # 3 + 3 + 1 rows of each table
    assert purge_bus_tables(db, NOW, 14 * DAY, batch_size=3) == {"outbox": 0, "inbox": 0}


def test_the_retention_is_a_setting(monkeypatch):
    monkeypatch.setenv("BUS_RETENTION_DAYS", "30")
    task = bus_retention_task(Settings.from_env("booking", database_url="sqlite://"), clock=lambda: NOW)
    assert task.task.retention == timedelta(days=30)
