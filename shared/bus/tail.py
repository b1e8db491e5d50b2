"""`python -m shared.bus.tail 'booking.#'`: watch the bus as an outside consumer (the coworking app) would.

It binds its own temporary queue to `veilleuse.events` with the given routing keys and prints each
CloudEvent as one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import pika

from shared.bus.amqp import connect, declare_exchange


class Tap:
    """A private, temporary queue bound to the exchange; collects the events it sees."""

    def __init__(self, amqp_url: str, bindings: list[str], exchange: str = "veilleuse.events"):
        self.connection = connect(amqp_url)
        self.channel = self.connection.channel()
        declare_exchange(self.channel, exchange)
        result = self.channel.queue_declare(queue="", exclusive=True, auto_delete=True)
        self.queue = result.method.queue
        for key in bindings:
            self.channel.queue_bind(queue=self.queue, exchange=exchange, routing_key=key)
        self.seen: list[tuple[pika.BasicProperties, dict]] = []

    def poll(self, timeout: float = 0.2) -> list[dict]:
        new = []
        deadline = time.monotonic() + timeout
        while True:
            method, props, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                if time.monotonic() >= deadline:
                    break
                self.connection.sleep(0.02)
                continue
            event = json.loads(body)
            self.seen.append((props, event))
            new.append(event)
        return new

    def wait_for(self, predicate, timeout: float = 10.0, count: int = 1) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            matches = [event for _props, event in self.seen if predicate(event)]
            if len(matches) >= count or time.monotonic() > deadline:
                return matches
            self.poll(0.1)

    def events(self, type_: str | None = None) -> list[dict]:
        return [event for _props, event in self.seen if type_ is None or event["type"] == type_]

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bindings", nargs="*", default=["#"], help="routing keys, e.g. 'booking.#'")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/%2F"))
    args = parser.parse_args(argv)
    tap = Tap(args.amqp_url, args.bindings)
    print(f"listening on veilleuse.events for {', '.join(args.bindings)}", file=sys.stderr)
    try:
        while True:
            for event in tap.poll(1.0):
                print(json.dumps(event, ensure_ascii=False), flush=True)
            tap.seen.clear()
    except KeyboardInterrupt:
        return 0
    finally:
        tap.close()


if __name__ == "__main__":
    sys.exit(main())
