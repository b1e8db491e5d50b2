"""RabbitMQ connections: parameters, a reachability probe, backoff, and the reconnecting loop.

The topology (exchanges, queues, bindings) is in shared.bus.topology."""
from __future__ import annotations

import logging
import random
import threading

import pika

from shared.bus.topology import declare_exchange, declare_queue  # noqa: F401 - re-exported

log = logging.getLogger("veilleuse.bus")


def connection_parameters(url: str, heartbeat: int = 30) -> pika.URLParameters:
    params = pika.URLParameters(url)
    params.heartbeat = heartbeat
    params.blocked_connection_timeout = 30
    params.connection_attempts = 1
    params.socket_timeout = 3
    params.stack_timeout = 5
    return params


def connect(url: str) -> pika.BlockingConnection:
    return pika.BlockingConnection(connection_parameters(url))


def broker_reachable(url: str) -> bool:
    try:
        params = connection_parameters(url)
        params.socket_timeout = 1
        params.stack_timeout = 2
        pika.BlockingConnection(params).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


class Backoff:
    """Exponential backoff with jitter, reset after a success."""

    def __init__(self, first: float = 0.2, limit: float = 10.0):
        self.first, self.limit, self.current = first, limit, first

    def next(self) -> float:
        delay = self.current
        self.current = min(self.limit, self.current * 2)
        return delay * (0.75 + random.random() / 2)

    def reset(self) -> None:
        self.current = self.first


class Loop:
    """A reconnecting loop around one pika connection, stoppable from another thread."""

    name = "loop"

    def __init__(self):
        self.stopping = threading.Event()
        self.backoff = Backoff()

    def stop(self) -> None:
        self.stopping.set()

    def run_connected(self, connection: pika.BlockingConnection) -> None:  # pragma: no cover
        raise NotImplementedError

    def connect(self) -> pika.BlockingConnection:  # pragma: no cover
        raise NotImplementedError

    def run_forever(self) -> None:
        while not self.stopping.is_set():
            connection = None
            try:
                connection = self.connect()
                self.backoff.reset()
                log.info("%s connected", self.name)
                self.run_connected(connection)
            except Exception as exc:  # noqa: BLE001 - reconnect on any failure, never die
                delay = self.backoff.next()
                log.warning("%s lost its connection (%s: %s); retrying in %.1fs",
                            self.name, type(exc).__name__, exc, delay)
                self.stopping.wait(delay)
            finally:
                if connection is not None and connection.is_open:
                    try:
                        connection.close()
                    except Exception:  # noqa: BLE001
                        pass
