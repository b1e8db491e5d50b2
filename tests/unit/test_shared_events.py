"""The CloudEvents envelope and the consumer's decisions, without a broker."""
import json

import pytest
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import func, select

from shared.bus.consumer import Consumer, PermanentFailure
from shared.bus.tables import inbox, outbox
from shared.events import InvalidEvent, decode, encode, new_event
from shared.logs import request_id_var
from tests.support.bus import record_example


def test_new_event_is_a_cloudevent_with_correlation_id():
    event = new_event("booking.room.created", "/veilleuse/booking", {"room_id": "r1"}, subject="r1",
                      correlationid="req-1")
    assert event["specversion"] == "1.0"
    assert event["type"] == "booking.room.created" and event["subject"] == "r1"
    assert event["correlationid"] == "req-1"
    assert event["time"].endswith("Z") and event["datacontenttype"] == "application/json"
    assert decode(encode(event)) == event


@pytest.mark.parametrize("bad_type", ["booking", "Booking.Room.Created", "booking.room", "booking room created"])
def test_event_types_must_be_service_entity_verb(bad_type):
    with pytest.raises(ValueError):
        new_event(bad_type, "/veilleuse/booking", {})


@pytest.mark.parametrize("body, reason", [
    (b"\xff\xfe not json", "not JSON"),
    (b"[1, 2]", "not a CloudEvent"),
    (json.dumps({"id": "1", "type": "a.b.c"}).encode(), "not a CloudEvent"),
    (json.dumps({"specversion": "0.3", "id": "1", "source": "/x", "type": "a.b.c", "data": {}}).encode(),
     "not a CloudEvent 1.0"),
    (json.dumps({"specversion": "1.0", "id": "1", "source": "/x", "type": "a.b.c", "data": "text"}).encode(),
     "invalid data"),
])
def test_decode_says_why_a_message_is_refused(body, reason):
    with pytest.raises(InvalidEvent) as excinfo:
        decode(body)
    assert str(excinfo.value).startswith(reason)


class ThingData(Schema):
    count = fields.Integer(required=True)


def make_consumer(db, applied):
    def on_thing(session, event):
        data = ThingData().load(event["data"])
        if data["count"] < 0:
            raise PermanentFailure("count must not be negative")
        applied.append(event["id"])

    return Consumer(db, "amqp://unused", "veilleuse.events", "veilleuse.dlx", "test.things",
                    {"test.thing.happened": on_thing})


def test_an_event_is_applied_once_even_when_delivered_twice(sqlite_database):
    db = sqlite_database("booking")
    applied: list = []
    consumer = make_consumer(db, applied)
    body = encode(new_event("test.thing.happened", "/test", {"count": 1}))
    assert consumer.apply(body).action == "applied"
    assert consumer.apply(body).action == "duplicate"
    assert len(applied) == 1
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(inbox)) == 1


@pytest.mark.parametrize("body, reason_start", [
    (b"not json", "not JSON"),
    (json.dumps({"hello": "world"}).encode(), "not a CloudEvent"),
    (encode(new_event("test.other.happened", "/test", {})), "unknown type"),
    (encode(new_event("test.thing.happened", "/test", {"count": "many"})), "invalid data"),
    (encode(new_event("test.thing.happened", "/test", {"count": -1})), "invalid data"),
])
def test_poison_messages_are_dead_lettered_with_a_reason_and_leave_no_trace(sqlite_database, body, reason_start):
    db = sqlite_database("booking")
    applied: list = []
    outcome = make_consumer(db, applied).apply(body)
    assert outcome.action == "dead-lettered"
    assert outcome.reason.startswith(reason_start)
    assert applied == []
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(inbox)) == 0


def test_a_failing_handler_rolls_back_its_inbox_row_so_the_redelivery_is_applied(sqlite_database):
    db = sqlite_database("booking")
    calls = []

    def flaky(session, event):
        calls.append(event["id"])
        if len(calls) == 1:
            raise RuntimeError("boom")

    consumer = Consumer(db, "amqp://unused", "x", "y", "test.flaky", {"test.thing.happened": flaky})
    body = encode(new_event("test.thing.happened", "/test", {}))
    with pytest.raises(RuntimeError):
        consumer.apply(body)
    assert consumer.apply(body).action == "applied"
    assert len(calls) == 2


def test_outbox_row_exists_only_if_the_business_transaction_commits(sqlite_database):
    db = sqlite_database("booking")
    token = request_id_var.set("req-42")
    try:
        with pytest.raises(ValidationError):
            with db.transaction() as session:
                record_example(session, "booking.room.created", "a")
                raise ValidationError("business rule broken after the event was recorded")
        with db.transaction() as session:
            event = record_example(session, "booking.room.created", "b")
    finally:
        request_id_var.reset(token)
    with db.sessions() as session:
        rows = session.execute(select(outbox)).all()
    assert [row.id for row in rows] == [event["id"]]
    assert json.loads(rows[0].body)["correlationid"] == "req-42"
    assert rows[0].sent_at is None
