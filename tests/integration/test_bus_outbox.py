"""The outbox relay on the real RabbitMQ and PostgreSQL: a cut mid-batch, a row the broker refuses."""
import threading
from datetime import datetime, timezone

from sqlalchemy import func, insert, select

from services.booking import create_app as create_booking
from shared.bus.relay import OutboxRelay
from shared.bus.tables import outbox
from shared.bus.tail import Tap
from shared.events import encode, new_event
from tests.conftest import app_for
from tests.support.bus import Running, host_port, record_example, via_proxy, wait_until
from tests.support.tcpproxy import TcpProxy

EXCHANGE = "veilleuse.events"
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


def unsent(db):
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None)))


def record(db, n, start=0):
    ids = []
    for i in range(start, start + n):
        with db.transaction() as session:
            ids.append(record_example(session, "booking.room.created", f"room-{i}")["id"])
    return ids


class _CuttingChannel:
    """A channel that cuts the broker connection (through the proxy) right after the k-th confirmed publish."""

    def __init__(self, channel, cutter):
        self._channel, self._cutter = channel, cutter

    def basic_publish(self, *args, **kwargs):
        result = self._channel.basic_publish(*args, **kwargs)   # returns once the broker confirmed it
        self._cutter.confirmed()
        return result

    def __getattr__(self, name):
        return getattr(self._channel, name)


class _CuttingConnection:
    def __init__(self, connection, cutter):
        self._connection, self._cutter = connection, cutter

    def channel(self, *args, **kwargs):
        return _CuttingChannel(self._connection.channel(*args, **kwargs), self._cutter)

    def __getattr__(self, name):
        return getattr(self._connection, name)


class CutAfter:
    def __init__(self, proxy: TcpProxy, k: int):
        self.proxy, self.k, self.count, self.done = proxy, k, 0, threading.Event()

    def confirmed(self):
        self.count += 1
        if self.count == self.k:
            self.proxy.cut()
            self.done.set()


def test_a_broker_cut_after_the_kth_confirm_of_a_batch_publishes_at_most_one_row_twice(pg_database, amqp_url):
    db = pg_database("booking")
    ids = record(db, 200)                      # one batch
    proxy = TcpProxy(*host_port(amqp_url, 5672))
    tap = Tap(amqp_url, ["booking.#"])         # the observer reaches the broker directly
    cutter = CutAfter(proxy, k=120)

    class CuttingRelay(OutboxRelay):
        def connect(self):
            return _CuttingConnection(super().connect(), cutter)

    try:
        with Running(CuttingRelay(db, via_proxy(amqp_url, proxy.port), EXCHANGE)):
            assert cutter.done.wait(30)
            threading.Event().wait(1.0)        # the relay fails on the cut connection and cannot reconnect
            proxy.restore()
            tap.wait_for(lambda e: e["id"] in ids, count=200, timeout=40)
            assert wait_until(lambda: unsent(db) == 0, timeout=30)
        tap.poll(0.5)
        seen = [event["id"] for event in tap.events()]
        assert set(seen) == set(ids)
        assert len(seen) - len(set(seen)) <= 1, f"{len(seen) - len(set(seen))} rows published twice"
    finally:
        tap.close()
        proxy.close()


BROKER_MAX_MESSAGE_SIZE = 128 * 1024 * 1024   # RabbitMQ 3.x's default max_message_size


def test_a_row_the_broker_refuses_is_set_aside_and_does_not_hold_back_the_rows_after_it(pg_database, amqp_url):
    db = pg_database("booking")
    oversize = new_event("booking.room.created", "/veilleuse/booking",
                         {"room_id": "huge", "notes": "x" * (BROKER_MAX_MESSAGE_SIZE + 1024)})
    with db.transaction() as session:   # the oldest row: the relay meets it first
        session.execute(insert(outbox).values(id=oversize["id"], type=oversize["type"],
                                              body=encode(oversize).decode(), created_at=LONG_AGO, attempts=0))
    later = record(db, 5)
    tap = Tap(amqp_url, ["booking.#"])
    try:
        with Running(OutboxRelay(db, amqp_url, EXCHANGE)):
            assert len(tap.wait_for(lambda e: e["id"] in later, count=5, timeout=30)) == 5

            def set_aside():
                with db.sessions() as session:
                    return session.execute(select(outbox).where(outbox.c.id == oversize["id"])).one()
            assert wait_until(lambda: set_aside().set_aside_at is not None, timeout=90)
        row = set_aside()
        assert row.sent_at is None and row.attempts == OutboxRelay.MAX_ATTEMPTS
        assert "message size" in row.last_error and "larger than" in row.last_error
        assert unsent(db) == 1                 # only the row set aside
        assert [event["id"] for event in tap.events()] == later
        ready = app_for(create_booking, "booking", db, amqp_url).test_client().get("/readyz")
        assert ready.status_code == 200
        assert ready.json["status"] == "degraded"
        assert ready.json["checks"]["outbox"] == {"pending": 0, "set_aside": 1}
    finally:
        tap.close()
