"""Helpers for bus tests: record valid events, run loops in threads, publish raw messages, read a dead-letter
queue."""
from __future__ import annotations

import threading
import time
import urllib.parse

import pika

from shared.bus import record_event
from shared.bus.amqp import connect
from shared.bus.contracts import contract_of, example_data
from shared.bus.topology import declare_exchange


def record_example(session, type_: str, subject: str) -> dict:
    """Record a valid event of this type about `subject` (its contract's example, with `subject` as the id):
    for tests of the bus itself, which need events, not any service's use cases."""
    publisher, contract = contract_of(type_)
    data = example_data(type_, **{contract.subject: subject})
    return record_event(session, publisher, type_, data, subject=subject)


class Running:
    """Run a Loop (relay or consumer) in a thread for the duration of a `with` block."""

    def __init__(self, loop):
        self.loop = loop
        self.thread = threading.Thread(target=loop.run_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.loop

    def __exit__(self, *exc):
        self.loop.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), f"{self.loop.name} did not stop"


def publish_raw(amqp_url: str, routing_key: str, body: bytes, exchange: str = "veilleuse.events",
                message_id: str | None = None) -> None:
    connection = connect(amqp_url)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        declare_exchange(channel, exchange)
        channel.basic_publish(exchange, routing_key, body,
                              pika.BasicProperties(delivery_mode=2, message_id=message_id))
    finally:
        connection.close()


def drain_queue(amqp_url: str, queue: str, expected: int, timeout: float = 15.0) -> list[tuple[dict, bytes]]:
    """Read (and ack) up to `expected` messages of a queue: [(headers, body)]."""
    connection = connect(amqp_url)
    found = []
    try:
        channel = connection.channel()
        deadline = time.monotonic() + timeout
        while len(found) < expected and time.monotonic() < deadline:
            method, props, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                connection.sleep(0.05)
                continue
            found.append((props.headers or {}, body))
    finally:
        connection.close()
    return found


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def via_proxy(url: str, proxy_port: int) -> str:
    """The same URL with its host and port replaced by the proxy's."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    auth = netloc[0] + "@" if len(netloc) == 2 else ""
    return urllib.parse.urlunsplit((parts.scheme, f"{auth}127.0.0.1:{proxy_port}", parts.path, parts.query, ""))


def host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def queue_exists(amqp_url: str, queue: str) -> bool:
    """Whether a consumer has declared its queue yet (a passive declare)."""
    connection = connect(amqp_url)
    try:
        connection.channel().queue_declare(queue=queue, passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker:
        return False
    finally:
        if connection.is_open:
            connection.close()
