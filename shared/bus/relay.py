"""Outbox relay: publishes unsent outbox rows with publisher confirms, then marks them sent."""
from __future__ import annotations

import logging
import time

import pika
from sqlalchemy import select, update

from shared.bus.amqp import Loop, connect, declare_exchange
from shared.bus.outbox import NOTIFY_CHANNEL
from shared.bus.tables import outbox
from shared.db import Database
from shared.events import CONTENT_TYPE, utcnow

log = logging.getLogger("veilleuse.relay")


class OutboxRelay(Loop):
    name = "outbox relay"

    def __init__(self, db: Database, amqp_url: str, exchange: str, batch_size: int = 200,
                 poll_interval: float | None = None):
        super().__init__()
        self.db, self.amqp_url, self.exchange, self.batch_size = db, amqp_url, exchange, batch_size
        self.poll_interval = poll_interval if poll_interval is not None else (
            1.0 if db.is_postgres else 0.2)
        self._listener = None

    def connect(self) -> pika.BlockingConnection:
        return connect(self.amqp_url)

    def publish_pending(self, channel) -> int:
        """Publish one batch of unsent rows; returns how many were published."""
        with self.db.engine.begin() as conn:
            query = (select(outbox.c.id, outbox.c.type, outbox.c.body)
                     .where(outbox.c.sent_at.is_(None))
                     .order_by(outbox.c.created_at).limit(self.batch_size))
            if self.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).all()
            sent: list[str] = []
            try:
                for row in rows:
                    channel.basic_publish(
                        exchange=self.exchange, routing_key=row.type, body=row.body.encode("utf-8"),
                        properties=pika.BasicProperties(
                            content_type=CONTENT_TYPE, delivery_mode=2, message_id=row.id,
                            type=row.type,
                        ),
                    )
                    sent.append(row.id)
            finally:
                # Rows confirmed before a failure are marked too, so that they are not sent again.
                if sent:
                    conn.execute(update(outbox).where(outbox.c.id.in_(sent)).values(sent_at=utcnow()))
        return len(rows)

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
        channel = connection.channel()
        channel.confirm_delivery()
        declare_exchange(channel, self.exchange)
        while not self.stopping.is_set():
            try:
                published = self.publish_pending(channel)
            except (pika.exceptions.AMQPError, ConnectionError):
                raise
            except Exception as exc:  # noqa: BLE001 - database trouble: wait and retry
                log.warning("outbox relay cannot read the outbox (%s); retrying", type(exc).__name__)
                connection.sleep(1.0)
                continue
            if published < self.batch_size:
                self._wait_for_work(connection)

    def run_until_empty(self, timeout: float = 10.0) -> int:
        """Publish everything pending and return; for commands and tests."""
        total, deadline = 0, time.monotonic() + timeout
        connection = connect(self.amqp_url)
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            declare_exchange(channel, self.exchange)
            while time.monotonic() < deadline:
                published = self.publish_pending(channel)
                total += published
                if published == 0:
                    break
        finally:
            connection.close()
        return total
