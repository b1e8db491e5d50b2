"""How the consumer treats a failing handler, on the real RabbitMQ and PostgreSQL: a failure that can never
succeed goes to `<queue>.dlq` at once with its reason; a transient one is retried with a growing delay."""
import threading
import time

from marshmallow import Schema, fields
from sqlalchemy import func, select, text

from services.booking.models import Site
from shared.bus.consumer import REASON_HEADER, Consumer, PermanentFailure
from shared.bus.tables import inbox
from shared.events import encode, new_event
from shared.problems import Problem
from tests.support.bus import Running, drain_queue, publish_raw, queue_exists, wait_until

EXCHANGE, DLX = "veilleuse.events", "veilleuse.dlx"


class CountData(Schema):
    count = fields.Integer(required=True)


def applied_ids(db, queue):
    with db.sessions() as session:
        return set(session.scalars(select(inbox.c.event_id).where(inbox.c.consumer == queue)))


def test_a_handler_error_that_can_never_succeed_goes_to_the_dlq_at_once_with_its_reason(pg_database, amqp_url):
    db = pg_database("booking")
    calls: dict[str, int] = {}

    def counted(handler):
        def wrapper(session, event):
            calls[event["type"]] = calls.get(event["type"], 0) + 1
            handler(session, event)
        return wrapper

    def over_long_id(session, event):
        session.add(Site(id="s" * 40, slug="too-long", name="Too long", timezone="Europe/Paris",
                         opening_hours={}, version=1))
        session.flush()

    def breaks_a_rule(session, event):
        raise Problem(409, "Room taken", "The room is already booked at that time.", slug="conflict")

    def invalid(session, event):
        CountData().load(event["data"])

    def permanent(session, event):
        raise PermanentFailure("site 's-9' is unknown to the booking")

    handlers = {"test.overlong.happened": over_long_id, "test.conflict.happened": breaks_a_rule,
                "test.invalid.happened": invalid, "test.permanent.happened": permanent,
                "test.good.happened": lambda session, event: None}
    queue = "test.permanent-failures"
    consumer = Consumer(db, amqp_url, EXCHANGE, DLX, queue, {k: counted(v) for k, v in handlers.items()},
                        prefetch=10)
    expected = {"test.overlong.happened": "invalid data: value too long",
                "test.conflict.happened": "refused (409 conflict): The room is already booked",
                "test.invalid.happened": "invalid data: {'count': ['Missing data for required field.']}",
                "test.permanent.happened": "invalid data: site 's-9' is unknown"}
    with Running(consumer):
        assert wait_until(lambda: queue_exists(amqp_url, queue))
        for type_ in expected:
            publish_raw(amqp_url, type_, encode(new_event(type_, "/test", {})))
        dead = drain_queue(amqp_url, f"{queue}.dlq", expected=4, timeout=20)
        good = new_event("test.good.happened", "/test", {})
        publish_raw(amqp_url, "test.good.happened", encode(good))
        assert wait_until(lambda: good["id"] in applied_ids(db, queue))
        threading.Event().wait(0.5)
    reasons = {headers["x-original-routing-key"]: headers.get(REASON_HEADER, "") for headers, _ in dead}
    assert len(dead) == 4
    for type_, start in expected.items():
        assert reasons[type_].startswith(start), (type_, reasons[type_])
        assert calls[type_] == 1, f"{type_} was handled {calls[type_]} times"
    assert applied_ids(db, queue) == {good["id"]}


def test_a_database_timeout_is_retried_with_a_growing_delay_and_applied_once(pg_database, amqp_url):
    db = pg_database("booking")
    attempts: list[float] = []

    def slow_then_fine(session, event):
        attempts.append(time.monotonic())
        if len(attempts) <= 3:   # the database cancels the statement: a real, passing OperationalError
            session.execute(text("SET LOCAL statement_timeout = 50"))
            session.execute(text("SELECT pg_sleep(2)"))

    queue = "test.transient"
    consumer = Consumer(db, amqp_url, EXCHANGE, DLX, queue, {"test.slow.happened": slow_then_fine})
    event = new_event("test.slow.happened", "/test", {})
    with Running(consumer):
        assert wait_until(lambda: queue_exists(amqp_url, queue))
        publish_raw(amqp_url, "test.slow.happened", encode(event))
        assert wait_until(lambda: event["id"] in applied_ids(db, queue), timeout=30)
    gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:])]
    assert len(attempts) == 4
    assert gaps[0] < gaps[1] < gaps[2], gaps
    assert drain_queue(amqp_url, f"{queue}.dlq", expected=1, timeout=0.5) == []


def test_an_unexpected_error_is_retried_a_few_times_with_a_growing_delay_then_dead_lettered(pg_database, amqp_url):
    db = pg_database("booking")
    attempts: list[float] = []

    def buggy(session, event):
        attempts.append(time.monotonic())
        raise KeyError("room_id")

    queue = "test.unexpected"
    consumer = Consumer(db, amqp_url, EXCHANGE, DLX, queue, {"test.buggy.happened": buggy})
    event = new_event("test.buggy.happened", "/test", {})
    with Running(consumer):
        assert wait_until(lambda: queue_exists(amqp_url, queue))
        publish_raw(amqp_url, "test.buggy.happened", encode(event))
        dead = drain_queue(amqp_url, f"{queue}.dlq", expected=1, timeout=30)
        threading.Event().wait(0.5)
    assert len(dead) == 1
    assert dead[0][0][REASON_HEADER].startswith("unexpected error after 4 attempts: KeyError")
    gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:])]
    assert len(attempts) == 1 + Consumer.UNEXPECTED_RETRIES == 4
    assert gaps[0] < gaps[1] < gaps[2], gaps
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(inbox)) == 0


def test_an_unexpected_error_that_clears_is_applied_once(pg_database, amqp_url):
    db = pg_database("booking")
    attempts: list[float] = []

    def flaky(session, event):
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RuntimeError("the first try trips over something")

    queue = "test.flaky"
    consumer = Consumer(db, amqp_url, EXCHANGE, DLX, queue, {"test.flaky.happened": flaky})
    event = new_event("test.flaky.happened", "/test", {})
    with Running(consumer):
        assert wait_until(lambda: queue_exists(amqp_url, queue))
        publish_raw(amqp_url, "test.flaky.happened", encode(event))
        assert wait_until(lambda: event["id"] in applied_ids(db, queue))
    assert len(attempts) == 2
    assert drain_queue(amqp_url, f"{queue}.dlq", expected=1, timeout=0.5) == []
