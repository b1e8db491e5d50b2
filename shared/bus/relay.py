"""Outbox relay: publishes the outbox rows with publisher confirms and marks them sent.

One batch: lock up to `batch_size` rows still to publish (FOR UPDATE SKIP LOCKED on PostgreSQL, so that
two relays never take the same rows), publish them, then write what became of each row in that same
transaction and commit it whatever happened to the publishing. A broker cut in the middle of a batch
thus leaves the rows confirmed before it marked sent: only the row in flight may go out again.

What becomes of a row:
- confirmed by the broker: marked sent;
- returned (`mandatory`, and no queue nor the alternate exchange took it: the topology is missing):
  left as it is, not counted against it; the relay tries again after a growing delay;
- refused (a nack, or the broker closed the channel on it, e.g. bigger than its max message size):
  `attempts` grows and `last_error` says why; after MAX_ATTEMPTS refusals the row is set aside
  (`set_aside_at`), logged, counted in /readyz, and the relay goes on with the others;
- lost in a cut (no answer): left as it is; the relay reconnects with backoff.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import pika
from sqlalchemy import select, update

from shared.bus.amqp import Backoff, Loop, connect
from shared.bus.outbox import NOTIFY_CHANNEL
from shared.bus.tables import PENDING, outbox
from shared.db import Database
from shared.events import CONTENT_TYPE, utcnow

log = logging.getLogger("veilleuse.relay")

# Channel closures that mean "this message", not "this connection" or "this deployment":
# 406 PRECONDITION_FAILED is what RabbitMQ answers to a message above its max message size.
REFUSAL_CODES = frozenset({406})


@dataclass
class BatchOutcome:
    size: int = 0
    confirmed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)     # row id -> the broker's reason
    returned: list[str] = field(default_factory=list)
    failure: BaseException | None = None                      # what ended the batch early


class ConfirmingPublisher:
    """Publishes outbox rows on one connection, each with `mandatory` and waiting for its confirm.

    One confirm per message for now: batching them would change only `publish` (send the batch,
    then wait for the confirms and sort the rows by the answer each got)."""

    def __init__(self, connection, exchange: str):
        self.connection, self.exchange = connection, exchange
        self.channel = self._open_channel()

    def _open_channel(self):
        channel = self.connection.channel()
        channel.confirm_delivery()
        return channel

    def check_exchange(self) -> None:
        try:
            self.channel.exchange_declare(exchange=self.exchange, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                log.error("the exchange %s does not exist: declare the topology with "
                          "`python -m shared.migrations`", self.exchange)
            raise

    def publish(self, rows) -> BatchOutcome:
        outcome = BatchOutcome(size=len(rows))
        for row in rows:
            try:
                self.channel.basic_publish(
                    exchange=self.exchange, routing_key=row.type, body=row.body.encode("utf-8"),
                    properties=pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=2,
                                                    message_id=row.id, type=row.type),
                    mandatory=True)
            except pika.exceptions.UnroutableError:
                outcome.returned.append(row.id)
            except pika.exceptions.NackError:
                outcome.refused[row.id] = "refused by the broker (basic.nack)"
            except pika.exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code not in REFUSAL_CODES:
                    outcome.failure = exc
                    break
                outcome.refused[row.id] = f"refused by the broker: {exc.reply_code} {exc.reply_text}"
                try:
                    self.channel = self._open_channel()
                except Exception as reopen_failure:  # noqa: BLE001 - the connection went too
                    outcome.failure = reopen_failure
                    break
            except (pika.exceptions.AMQPError, ConnectionError, OSError) as exc:
                outcome.failure = exc
                break
            except Exception as exc:  # noqa: BLE001 - it could not even be sent (e.g. cannot be encoded)
                outcome.refused[row.id] = f"cannot be published: {type(exc).__name__}: {exc}"
            else:
                outcome.confirmed.append(row.id)
        return outcome


class OutboxRelay(Loop):
    name = "outbox relay"
    MAX_ATTEMPTS = 5

    def __init__(self, db: Database, amqp_url: str, exchange: str, batch_size: int = 200,
                 poll_interval: float | None = None, max_attempts: int = MAX_ATTEMPTS):
        super().__init__()
        self.db, self.amqp_url, self.exchange, self.batch_size = db, amqp_url, exchange, batch_size
        self.max_attempts = max_attempts
        self.poll_interval = poll_interval if poll_interval is not None else (
            1.0 if db.is_postgres else 0.2)
        # After a batch with refused or returned rows: wait before trying them again.
        self.retry_backoff = Backoff(first=0.5, limit=30.0)
        self._listener = None

    def connect(self) -> pika.BlockingConnection:
        return connect(self.amqp_url)

    def _pending(self):
        query = (select(outbox.c.id, outbox.c.type, outbox.c.body, outbox.c.attempts)
                 .where(PENDING).order_by(outbox.c.created_at).limit(self.batch_size))
        return query.with_for_update(skip_locked=True) if self.db.is_postgres else query

    def publish_pending(self, publisher: ConfirmingPublisher) -> BatchOutcome:
        """Publish one batch; raises what cut it short, once what was confirmed before is marked."""
        with self.db.engine.connect() as conn:
            transaction = conn.begin()
            rows = conn.execute(self._pending()).all()
            outcome = publisher.publish(rows) if rows else BatchOutcome()
            # Written in the transaction that holds the rows' locks and committed whatever the
            # publishing did: a failed publish must not take the marks of confirmed rows with it.
            self._record(conn, rows, outcome)
            transaction.commit()
        if outcome.failure is not None:
            raise outcome.failure
        return outcome

    def _record(self, conn, rows, outcome: BatchOutcome) -> None:
        now = utcnow()
        if outcome.confirmed:
            conn.execute(update(outbox).where(outbox.c.id.in_(outcome.confirmed)).values(sent_at=now))
        attempts_before = {row.id: row.attempts for row in rows}
        types = {row.id: row.type for row in rows}
        for row_id, reason in outcome.refused.items():
            attempts = attempts_before[row_id] + 1
            set_aside = attempts >= self.max_attempts
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(
                attempts=attempts, last_error=reason[:500], set_aside_at=now if set_aside else None))
            if set_aside:
                log.error("outbox row %s (%s) set aside after %d refusals: %s", row_id, types[row_id],
                          attempts, reason[:500])
            else:
                log.warning("outbox row %s (%s) refused by the broker (%d of %d): %s", row_id, types[row_id],
                            attempts, self.max_attempts, reason[:500])
        if outcome.returned:
            log.warning("%d outbox row(s) of type(s) %s returned unroutable: no queue and no alternate "
                        "exchange took them; is the topology declared (`python -m shared.migrations`)? "
                        "They stay in the outbox.", len(outcome.returned),
                        ", ".join(sorted({types[row_id] for row_id in outcome.returned})))

    # -- the loop -------------------------------------------------------------------------------------
    def _wait_for_work(self, connection) -> None:
        if self.db.is_postgres:
            try:
                listener = self._listen()
                for _ in listener.notifies(timeout=self.poll_interval, stop_after=1):
                    pass
                connection.process_data_events(0)
                return
            except Exception:  # noqa: BLE001 - database away: fall back to polling
                self._close_listener()
        connection.sleep(self.poll_interval)

    def _pause(self, connection, seconds: float) -> None:
        """Sleep (serving the connection's heartbeats) but wake up when asked to stop."""
        deadline = time.monotonic() + seconds
        while not self.stopping.is_set() and time.monotonic() < deadline:
            connection.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def _listen(self):
        if self._listener is None or self._listener.closed:
            import psycopg

            url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._listener = psycopg.connect(url, autocommit=True, connect_timeout=3)
            self._listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return self._listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except Exception:  # noqa: BLE001
                pass
            self._listener = None

    def run_connected(self, connection) -> None:
        publisher = ConfirmingPublisher(connection, self.exchange)
        publisher.check_exchange()
        while not self.stopping.is_set():
            try:
                outcome = self.publish_pending(publisher)
            except (pika.exceptions.AMQPError, ConnectionError, OSError):
                raise
            except Exception as exc:  # noqa: BLE001 - database trouble: wait and retry
                log.warning("outbox relay cannot read the outbox (%s); retrying", type(exc).__name__)
                self._pause(connection, 1.0)
                continue
            if outcome.refused or outcome.returned:
                self._pause(connection, self.retry_backoff.next())
                continue
            self.retry_backoff.reset()
            if outcome.size < self.batch_size:
                self._wait_for_work(connection)

    def run_until_empty(self, timeout: float = 10.0) -> int:
        """Publish everything that can be and return how many were sent; for commands and tests."""
        total, deadline = 0, time.monotonic() + timeout
        connection = self.connect()
        try:
            publisher = ConfirmingPublisher(connection, self.exchange)
            while time.monotonic() < deadline:
                outcome = self.publish_pending(publisher)
                total += len(outcome.confirmed)
                if not outcome.confirmed:
                    break
        finally:
            if connection.is_open:
                connection.close()
        return total
