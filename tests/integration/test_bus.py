"""The bus on the real RabbitMQ and PostgreSQL: nothing lost, nothing doubled, poison set aside."""
import json
import threading

from sqlalchemy import func, select

from shared.bus.consumer import REASON_HEADER, Consumer
from shared.bus.relay import OutboxRelay
from shared.bus.tables import inbox, outbox
from shared.bus.tail import Tap
from shared.db import Database
from shared.events import encode, new_event
from tests.support.bus import (
    Running,
    drain_queue,
    host_port,
    publish_raw,
    queue_exists,
    record_example,
    via_proxy,
    wait_until,
)
from tests.support.tcpproxy import TcpProxy

EXCHANGE, DLX = "veilleuse.events", "veilleuse.dlx"


def unsent(db):
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None)))


def record(db, n, type_="booking.room.created", start=0):
    ids = []
    for i in range(start, start + n):
        with db.transaction() as session:
            ids.append(record_example(session, type_, f"room-{i}")["id"])
    return ids


def test_relay_publishes_outbox_rows_as_persistent_cloudevents_and_marks_them_sent(pg_database, amqp_url):
    db = pg_database("booking")
    tap = Tap(amqp_url, ["booking.#"])
    try:
        ids = record(db, 5)
        with Running(OutboxRelay(db, amqp_url, EXCHANGE)):
            assert len(tap.wait_for(lambda e: e["id"] in ids, count=5)) == 5
            assert wait_until(lambda: unsent(db) == 0)
        props, event = tap.seen[0]
        assert props.content_type == "application/cloudevents+json"
        assert props.delivery_mode == 2 and props.message_id == event["id"]
        assert [e["id"] for e in tap.events()] == ids  # in the order they were written
    finally:
        tap.close()


def test_broker_cut_while_events_are_produced_loses_none(pg_database, amqp_url):
    db = pg_database("booking")
    host, port = host_port(amqp_url, 5672)
    proxy = TcpProxy(host, port)
    tap = Tap(amqp_url, ["booking.#"])  # the observer talks to the broker directly
    try:
        relay = OutboxRelay(db, via_proxy(amqp_url, proxy.port), EXCHANGE)
        with Running(relay):
            before = record(db, 20)
            assert len(tap.wait_for(lambda e: e["id"] in before, count=20)) == 20
            proxy.cut()
            during = record(db, 30, start=20)   # the application keeps working: rows wait in the outbox
            assert unsent(db) >= 1
            proxy.restore()
            after = record(db, 10, start=50)
            expected = set(before + during + after)
            tap.wait_for(lambda e: e["id"] in expected, count=60, timeout=30)
            assert wait_until(lambda: unsent(db) == 0, timeout=30)
        seen = [e["id"] for e in tap.events()]
        assert set(seen) == expected
        # A publish whose confirm is lost in the cut is sent again (same id): at least once, never lost.
        assert len(seen) - len(set(seen)) <= 2
    finally:
        tap.close()
        proxy.close()


def counting_consumer(db, amqp_url, queue, applied, extra_handlers=None):
    def on_room_created(session, event):
        applied.append(event["id"])

    handlers = {"booking.room.created": on_room_created, **(extra_handlers or {})}
    return Consumer(db, amqp_url, EXCHANGE, DLX, queue, handlers, prefetch=10)


def test_a_duplicate_delivery_changes_nothing(pg_database, amqp_url):
    db = pg_database("relay")
    applied: list = []
    consumer = counting_consumer(db, amqp_url, "test.duplicates", applied)
    event = new_event("booking.room.created", "/veilleuse/booking", {"room_id": "r"})
    with Running(consumer):
        wait_until(lambda: consumer.name and queue_exists(amqp_url, "test.duplicates"))
        for _ in range(3):
            publish_raw(amqp_url, "booking.room.created", encode(event), message_id=event["id"])
        with db.sessions() as session:
            assert wait_until(lambda: session.scalar(select(func.count()).select_from(inbox)) == 1)
        follow_up = new_event("booking.room.created", "/veilleuse/booking", {"room_id": "s"})
        publish_raw(amqp_url, "booking.room.created", encode(follow_up))
        assert wait_until(lambda: follow_up["id"] in applied)
    assert applied.count(event["id"]) == 1


def test_poison_messages_end_in_the_dlq_with_their_reason_and_the_consumer_goes_on(pg_database, amqp_url):
    db = pg_database("relay")
    applied: list = []

    def strict(session, event):
        from marshmallow import Schema, fields

        class Data(Schema):
            count = fields.Integer(required=True)

        Data().load(event["data"])
        applied.append(event["id"])

    queue = "test.poison"
    consumer = counting_consumer(db, amqp_url, queue, applied, {"test.thing.happened": strict})
    poison = {
        "not JSON": (b"\x00\x01 definitely not json", "booking.room.created"),
        "not a CloudEvent": (json.dumps({"hello": "world"}).encode(), "booking.room.created"),
        "unknown type": (encode(new_event("booking.room.created", "/x", {})).replace(
            b'"booking.room.created"', b'"booking.room.painted"'), "booking.room.created"),
        "invalid data": (encode(new_event("test.thing.happened", "/x", {"count": "lots"})), "test.thing.happened"),
    }
    with Running(consumer):
        assert wait_until(lambda: queue_exists(amqp_url, queue))
        for body, key in poison.values():
            publish_raw(amqp_url, key, body)
        good = new_event("booking.room.created", "/veilleuse/booking", {"room_id": "ok"})
        publish_raw(amqp_url, "booking.room.created", encode(good))
        assert wait_until(lambda: good["id"] in applied)
        dead = drain_queue(amqp_url, f"{queue}.dlq", expected=4)
    reasons = sorted(headers[REASON_HEADER] for headers, _ in dead)
    assert len(dead) == 4
    for kind in poison:
        assert any(reason.startswith(kind) for reason in reasons), (kind, reasons)
    assert all(headers["x-veilleuse-queue"] == queue for headers, _ in dead)
    assert {body for _, body in dead} == {body for body, _ in poison.values()}


def test_consumer_waits_out_a_database_outage_and_applies_the_event_once(servers, pg_database, amqp_url):
    db = pg_database("relay")
    host, port = host_port(db.url.replace("postgresql+psycopg", "postgresql"), 5432)
    proxy = TcpProxy(host, port)
    proxied = Database(via_proxy(db.url, proxy.port))
    applied: list = []
    consumer = counting_consumer(proxied, amqp_url, "test.db-outage", applied)
    try:
        with Running(consumer):
            assert wait_until(lambda: queue_exists(amqp_url, "test.db-outage"))
            proxy.cut()
            event = new_event("booking.room.created", "/veilleuse/booking", {"room_id": "late"})
            publish_raw(amqp_url, "booking.room.created", encode(event))
            threading.Event().wait(1.5)
            assert applied == []
            proxy.restore()
            assert wait_until(lambda: event["id"] in applied, timeout=30)
        with db.sessions() as session:
            assert session.scalar(select(func.count()).select_from(inbox)) == 1
        assert applied.count(event["id"]) == 1
        assert drain_queue(amqp_url, "test.db-outage.dlq", expected=1, timeout=0.5) == []
    finally:
        proxied.dispose()
        proxy.close()
