"""The broker's topology, declared from one place: every exchange, queue, binding and dead-letter queue.

Each component's worker module says which queues it consumes and which event types each one handles
(`QUEUES = {queue: {event type: handler}}`); that is the only declaration. From it:
- `python -m shared.migrations` (make migrate, the compose `migrate` step) declares everything on the
  broker, so events published before a consumer ever started wait in its queue;
- `python -m shared.bus.topology > infra/rabbitmq/definitions.json` writes the same as RabbitMQ
  definitions (a unit test keeps the file current);
- each consumer re-declares its own queue, with the same arguments, when it starts.

Event types no queue of ours binds (those only outside programs consume) go through the alternate
exchange into `veilleuse.unrouted`, a bounded queue that keeps the latest of them: they count as routed,
so the relay publishes them with `mandatory` and a broker returns a message only when the topology is
missing, and then the row stays in the outbox.
"""
from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass

from shared.config import SERVICES

COMPONENTS = ("gateway", *SERVICES)
EXCHANGE = "veilleuse.events"
DEAD_LETTER_EXCHANGE = "veilleuse.dlx"
UNROUTED = "veilleuse.unrouted"          # the alternate exchange and its queue
UNROUTED_MAX_LENGTH = 10_000             # the oldest unrouted events go first beyond that
# Last resort only: the consumer dead-letters failures itself; this catches a message that kills its
# consumer process each time it is delivered.
DELIVERY_LIMIT = 10


def worker_module(component: str):
    package = "gateway" if component == "gateway" else f"services.{component}"
    return importlib.import_module(f"{package}.worker")


def platform_queues(components=COMPONENTS) -> dict[str, tuple[str, ...]]:
    """Our consumer queues -> the event types bound to each, from each worker's `QUEUES`."""
    found: dict[str, tuple[str, ...]] = {}
    for component in components:
        for queue, handlers in worker_module(component).QUEUES.items():
            found[queue] = tuple(sorted(handlers))
    return dict(sorted(found.items()))


def exchange_arguments() -> dict:
    return {"alternate-exchange": UNROUTED}


def queue_arguments(queue: str, dead_letter_exchange: str = DEAD_LETTER_EXCHANGE) -> dict:
    return {"x-queue-type": "quorum", "x-dead-letter-exchange": dead_letter_exchange,
            "x-dead-letter-routing-key": dead_letter_queue(queue), "x-delivery-limit": DELIVERY_LIMIT}


DLQ_ARGUMENTS = {"x-queue-type": "quorum"}
UNROUTED_ARGUMENTS = {"x-queue-type": "quorum", "x-max-length": UNROUTED_MAX_LENGTH, "x-overflow": "drop-head"}


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dlq"


def declare_exchange(channel, exchange: str = EXCHANGE) -> None:
    """The events exchange, with the same arguments wherever it is declared (RabbitMQ refuses a
    declaration whose arguments differ from the existing exchange's)."""
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True,
                             arguments=exchange_arguments())


def declare_queue(channel, queue: str, routing_keys, exchange: str = EXCHANGE,
                  dead_letter_exchange: str = DEAD_LETTER_EXCHANGE) -> None:
    """One consumer queue (quorum), its `<queue>.dlq`, and its bindings."""
    declare_exchange(channel, exchange)
    channel.exchange_declare(exchange=dead_letter_exchange, exchange_type="direct", durable=True)
    dlq = dead_letter_queue(queue)
    channel.queue_declare(queue=dlq, durable=True, arguments=DLQ_ARGUMENTS)
    channel.queue_bind(queue=dlq, exchange=dead_letter_exchange, routing_key=dlq)
    channel.queue_declare(queue=queue, durable=True, arguments=queue_arguments(queue, dead_letter_exchange))
    for key in routing_keys:
        channel.queue_bind(queue=queue, exchange=exchange, routing_key=key)


@dataclass(frozen=True)
class Topology:
    queues: dict[str, tuple[str, ...]]
    exchange: str = EXCHANGE
    dead_letter_exchange: str = DEAD_LETTER_EXCHANGE

    @classmethod
    def of_platform(cls, exchange: str = EXCHANGE, dead_letter_exchange: str = DEAD_LETTER_EXCHANGE) -> "Topology":
        return cls(platform_queues(), exchange, dead_letter_exchange)

    def declare(self, channel) -> None:
        channel.exchange_declare(exchange=UNROUTED, exchange_type="fanout", durable=True)
        channel.queue_declare(queue=UNROUTED, durable=True, arguments=UNROUTED_ARGUMENTS)
        channel.queue_bind(queue=UNROUTED, exchange=UNROUTED)
        declare_exchange(channel, self.exchange)
        channel.exchange_declare(exchange=self.dead_letter_exchange, exchange_type="direct", durable=True)
        for queue, keys in self.queues.items():
            declare_queue(channel, queue, keys, self.exchange, self.dead_letter_exchange)

    def definitions(self, vhost: str = "/") -> dict:
        """The same topology as RabbitMQ definitions (no users: see infra/rabbitmq/rabbitmq.conf)."""
        def exchange(name, type_, arguments=None):
            return {"name": name, "vhost": vhost, "type": type_, "durable": True, "auto_delete": False,
                    "internal": False, "arguments": arguments or {}}

        def queue(name, arguments):
            return {"name": name, "vhost": vhost, "durable": True, "auto_delete": False, "arguments": arguments}

        def binding(source, destination, key):
            return {"source": source, "vhost": vhost, "destination": destination, "destination_type": "queue",
                    "routing_key": key, "arguments": {}}

        queues = [queue(UNROUTED, UNROUTED_ARGUMENTS)]
        bindings = [binding(UNROUTED, UNROUTED, "")]
        for name, keys in self.queues.items():
            dlq = dead_letter_queue(name)
            queues += [queue(name, queue_arguments(name, self.dead_letter_exchange)), queue(dlq, DLQ_ARGUMENTS)]
            bindings += [binding(self.exchange, name, key) for key in keys]
            bindings.append(binding(self.dead_letter_exchange, dlq, dlq))
        return {
            "vhosts": [{"name": vhost}],
            "exchanges": [exchange(self.exchange, "topic", exchange_arguments()),
                          exchange(self.dead_letter_exchange, "direct"), exchange(UNROUTED, "fanout")],
            "queues": queues,
            "bindings": bindings,
        }


def declare_topology(amqp_url: str, topology: Topology | None = None) -> Topology:
    """Declare the whole topology on the broker at `amqp_url`; idempotent."""
    from shared.bus.amqp import connect

    topology = topology or Topology.of_platform()
    connection = connect(amqp_url)
    try:
        topology.declare(connection.channel())
    finally:
        if connection.is_open:
            connection.close()
    return topology


def render_definitions() -> str:
    return json.dumps(Topology.of_platform().definitions(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_definitions())
