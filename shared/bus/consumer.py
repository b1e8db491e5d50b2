"""Consumer loop: each event applied once (inbox), acked after commit, failures sorted by kind.

What a handler's failure does to the message:
- permanent, it can never succeed (not a CloudEvent, a type the queue does not handle, invalid data:
  marshmallow ValidationError, PermanentFailure, a database DataError such as an over-long id, an
  IntegrityError that is not a duplicate, a 4xx `Problem` from a use case): to `<queue>.dlq` at once,
  with the reason in the `x-veilleuse-reason` header;
- transient, the database is away or cancelled the statement (OperationalError, a lost connection):
  retried in place with a growing delay (0.5 s doubling to 10 s) for as long as it takes, the
  message kept unacknowledged; on shutdown it is requeued;
- unexpected, anything else (a bug, a 5xx `Problem`): retried UNEXPECTED_RETRIES times with a growing
  delay, then to `<queue>.dlq` with the reason, so one bad message never blocks the queue for long.
The quorum queue's delivery limit stays as the last resort for a message that kills its consumer.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import pika
from marshmallow import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from shared.bus.amqp import Backoff, Loop, connect
from shared.bus.tables import inbox
from shared.bus.topology import dead_letter_queue, declare_queue
from shared.db import Database
from shared.events import InvalidEvent, decode, utcnow
from shared.logs import request_id_var
from shared.problems import Problem

log = logging.getLogger("veilleuse.consumer")

HandlerFn = Callable[[Session, dict], None]
REASON_HEADER = "x-veilleuse-reason"


class PermanentFailure(Exception):
    """The event can never be applied (its data breaks a rule): dead-letter it."""


@dataclass
class Outcome:
    action: str  # "applied" | "duplicate" | "dead-lettered"
    reason: str | None = None


def _first_line(exc: BaseException) -> str:
    """The database's own message without its DETAIL lines, which may quote the row's values."""
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def permanent_reason(exc: BaseException) -> str | None:
    """Why the event can never be applied, or None when trying again may help."""
    if isinstance(exc, ValidationError):
        return f"invalid data: {exc.normalized_messages()}"
    if isinstance(exc, PermanentFailure):
        return f"invalid data: {exc}"
    if isinstance(exc, DataError):
        return f"invalid data: {_first_line(exc)}"
    if isinstance(exc, IntegrityError):
        return f"invalid data: breaks a database rule ({_first_line(exc)})"
    if isinstance(exc, Problem) and exc.status < 500:
        return f"refused ({exc.status} {exc.slug}): {exc.detail or exc.title}"
    return None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class Consumer(Loop):
    """One queue `<service>.<purpose>` and the handlers of the event types bound to it."""

    UNEXPECTED_RETRIES = 3

    def __init__(self, db: Database, amqp_url: str, exchange: str, dead_letter_exchange: str,
                 queue: str, handlers: dict[str, HandlerFn], prefetch: int = 32):
        super().__init__()
        self.db, self.amqp_url, self.exchange = db, amqp_url, exchange
        self.dead_letter_exchange, self.queue, self.handlers = dead_letter_exchange, queue, handlers
        self.prefetch = prefetch
        self.name = f"consumer {queue}"

    # -- applying one event; no broker involved, so unit tests call it directly ----------
    def apply(self, body: bytes) -> Outcome:
        """Apply one message body once. Raises on a failure that trying again may cure."""
        try:
            event = decode(body)
        except InvalidEvent as exc:
            return Outcome("dead-lettered", str(exc))
        handler = self.handlers.get(event["type"])
        if handler is None:
            return Outcome("dead-lettered", f"unknown type: {event['type']!r} is not handled by {self.queue}")
        token = request_id_var.set(event.get("correlationid"))
        try:
            with self.db.sessions() as session:
                try:
                    with session.begin():
                        session.execute(insert(inbox).values(
                            consumer=self.queue, event_id=event["id"], type=event["type"],
                            received_at=utcnow()))
                        handler(session, event)
                except IntegrityError as exc:
                    if self._already_applied(event["id"]):
                        return Outcome("duplicate")
                    return Outcome("dead-lettered", permanent_reason(exc))
                except Exception as exc:
                    reason = permanent_reason(exc)
                    if reason is None:
                        raise
                    return Outcome("dead-lettered", reason)
            return Outcome("applied")
        finally:
            request_id_var.reset(token)

    def _already_applied(self, event_id: str) -> bool:
        with self.db.sessions() as session:
            return session.execute(
                inbox.select().where(inbox.c.consumer == self.queue, inbox.c.event_id == event_id)
            ).first() is not None

    # -- broker side ------------------------------------------------------------------------
    def connect(self) -> pika.BlockingConnection:
        return connect(self.amqp_url)

    def declare(self, channel) -> None:
        """The same declaration as the migration's (shared.bus.topology), in case it has not run."""
        declare_queue(channel, self.queue, sorted(self.handlers), self.exchange, self.dead_letter_exchange)

    def run_connected(self, connection) -> None:
        channel = connection.channel()
        channel.confirm_delivery()
        self.declare(channel)
        channel.basic_qos(prefetch_count=self.prefetch)
        channel.basic_consume(self.queue, lambda ch, method, props, body:
                              self._on_message(connection, ch, method, props, body))
        while not self.stopping.is_set():
            connection.process_data_events(time_limit=0.5)

    def run_until(self, done: Callable[[], bool], timeout: float = 60.0) -> bool:
        """Consume until `done()` holds (True) or `timeout` seconds pass (False); for commands."""
        deadline = time.monotonic() + timeout
        connection = self.connect()
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=self.prefetch)
            channel.basic_consume(self.queue, lambda ch, method, props, body:
                                  self._on_message(connection, ch, method, props, body))
            while not done():
                if time.monotonic() > deadline:
                    return False
                connection.process_data_events(time_limit=0.2)
            return True
        finally:
            if connection.is_open:
                connection.close()

    def _on_message(self, connection, channel, method, props, body) -> None:
        backoff = Backoff(first=0.5, limit=10.0)
        unexpected = 0
        while True:
            try:
                outcome = self.apply(body)
                break
            except Exception as exc:  # noqa: BLE001
                transient = is_transient(exc)
                if not transient:
                    unexpected += 1
                    if unexpected > self.UNEXPECTED_RETRIES:
                        log.exception("handler failed %d times on a message of %s; dead-lettering it",
                                      unexpected, self.queue)
                        outcome = Outcome("dead-lettered", f"unexpected error after {unexpected} attempts: "
                                                           f"{type(exc).__name__}: {exc}"[:500])
                        break
                if self.stopping.is_set():
                    channel.basic_nack(method.delivery_tag, requeue=True)
                    return
                delay = backoff.next()
                if transient:
                    log.warning("database unavailable while handling an event on %s; retrying in %.1fs",
                                self.queue, delay)
                else:
                    log.warning("handler failed on a message of %s (%s, attempt %d); retrying in %.1fs",
                                self.queue, type(exc).__name__, unexpected, delay)
                connection.sleep(delay)
        if outcome.action == "dead-lettered":
            self._dead_letter(channel, method, props, body, outcome.reason or "rejected")
            return
        channel.basic_ack(method.delivery_tag)

    def _dead_letter(self, channel, method, props, body, reason: str) -> None:
        log.warning("dead-lettering a message of %s", self.queue,
                    extra={"queue": self.queue, "reason": reason[:500]})
        headers = dict(props.headers or {})
        headers.update({REASON_HEADER: reason[:1000], "x-veilleuse-queue": self.queue,
                        "x-original-routing-key": method.routing_key})
        try:
            channel.basic_publish(
                exchange=self.dead_letter_exchange, routing_key=dead_letter_queue(self.queue), body=body,
                properties=pika.BasicProperties(
                    headers=headers, delivery_mode=2, content_type=props.content_type,
                    message_id=props.message_id, type=props.type))
            channel.basic_ack(method.delivery_tag)
        except pika.exceptions.AMQPError:
            raise
        except Exception:  # noqa: BLE001 - the broker's own dead-lettering still keeps it
            channel.basic_reject(method.delivery_tag, requeue=False)
