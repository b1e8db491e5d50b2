"""The event catalogue, generated from the contracts in the code: docs/asyncapi.yaml and the field tables and
examples of docs/events.md.

`python -m shared.bus.catalogue > docs/asyncapi.yaml` prints the AsyncAPI document; `python -m
shared.bus.catalogue --write` rewrites docs/asyncapi.yaml and the generated blocks of docs/events.md. A test
fails while either is stale. docs/events.md keeps its prose; only what sits between
`<!-- generated: fields TYPE [TYPE ...] -->` (the table of the types' data, which share one schema) or
`<!-- generated: example TYPE -->` (a whole event) and `<!-- end generated -->` is written here."""
from __future__ import annotations

import json
import re
import sys

import yaml

from shared.bus.contracts import Contract, every_contract, example_event
from shared.bus.describe import object_schema, table
from shared.bus.topology import COMPONENTS, DEAD_LETTER_EXCHANGE, EXCHANGE, UNROUTED, platform_queues
from shared.config import ROOT
from shared.events import TYPE_PATTERN

ASYNCAPI = ROOT / "docs" / "asyncapi.yaml"
EVENTS_MD = ROOT / "docs" / "events.md"
AMQP_BINDING = "0.3.0"


def published() -> dict[str, str]:
    """event type -> the component that publishes it."""
    return {type_: publisher for type_, (publisher, _contract) in every_contract().items()}


def queues() -> dict[str, list[str]]:
    """our consumer queues -> the event types bound to each (the topology the migration declares)."""
    return {queue: list(types) for queue, types in platform_queues().items()}


def _key(type_: str) -> str:
    return type_.replace(".", "_")


def envelope() -> dict:
    """The JSON Schema of the CloudEvents envelope every message is."""
    sources = "|".join(COMPONENTS)
    return {
        "type": "object",
        "description": "A CloudEvents 1.0 event in structured JSON mode (AMQP content type "
                       "application/cloudevents+json, message_id = id, type = type, persistent).",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"type": "string", "const": "1.0"},
            "id": {"type": "string", "format": "uuid",
                   "description": "unique id of the event; the same event (same id) may arrive twice"},
            "source": {"type": "string", "pattern": f"^/veilleuse/({sources})$",
                       "description": "the component that published it"},
            "type": {"type": "string", "pattern": TYPE_PATTERN.pattern,
                     "description": "<service>.<entity>.<past-tense verb>, also the routing key"},
            "time": {"type": "string", "format": "date-time", "description": "when it happened, UTC"},
            "subject": {"type": "string", "description": "id of the entity concerned, when there is one"},
            "datacontenttype": {"type": "string", "const": "application/json"},
            "correlationid": {"type": "string", "maxLength": 64,
                              "description": "X-Request-Id of the HTTP request that caused it, when there is one"},
            "data": {"type": "object", "description": "what happened: see each message's payload"},
        },
    }


def _payload(type_: str, publisher: str, contract: Contract) -> dict:
    properties = {"type": {"const": type_}, "source": {"const": f"/veilleuse/{publisher}"},
                  "data": {"$ref": f"#/components/schemas/{contract.schema.__name__}"}}
    specific = {"type": "object", "properties": properties}
    if contract.subject:
        properties["subject"] = {"type": "string", "description": f"the same as data.{contract.subject}"}
        specific["required"] = ["subject"]
    return {"allOf": [{"$ref": "#/components/schemas/CloudEvent"}, specific]}


def _exchange() -> dict:
    return {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}


def asyncapi() -> dict:
    contracts = every_contract()
    channels, operations, messages, schemas = {}, {}, {}, {"CloudEvent": envelope()}
    for type_, (publisher, contract) in contracts.items():
        key, name = _key(type_), contract.schema.__name__
        data_schema = object_schema(contract.schema)
        if schemas.setdefault(name, data_schema) != data_schema:
            raise ValueError(f"two data schemas are named {name}: rename one")
        example = example_event(type_)
        messages[key] = {
            "name": type_, "title": type_, "summary": contract.summary,
            "contentType": "application/cloudevents+json",
            "correlationId": {"location": "$message.payload#/correlationid",
                              "description": "X-Request-Id of the HTTP request that caused it"},
            "payload": _payload(type_, publisher, contract),
            "examples": [{"name": key, "summary": contract.summary, "payload": example}],
            "bindings": {"amqp": {"messageType": type_, "bindingVersion": AMQP_BINDING}},
        }
        channels[key] = {
            "address": type_,
            "title": type_,
            "description": f"Published by {publisher} on the topic exchange {EXCHANGE}, routing key {type_}.",
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": {"is": "routingKey", "exchange": _exchange(), "bindingVersion": AMQP_BINDING}},
        }
        operations[f"{publisher}_sends_{key}"] = {
            "action": "send", "title": f"{publisher} publishes {type_}",
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": AMQP_BINDING}},
        }
    for queue, types in queues().items():
        for type_ in types:
            key = _key(type_)
            if key not in channels:
                raise ValueError(f"queue {queue} binds {type_}, which nobody publishes")
            operations[f"{_key(queue)}_receives_{key}"] = {
                "action": "receive", "title": f"queue {queue} receives {type_}",
                "description": f"Our quorum queue {queue}; what it cannot apply is dead-lettered through "
                               f"{DEAD_LETTER_EXCHANGE} into {queue}.dlq.",
                "channel": {"$ref": f"#/channels/{key}"},
                "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
                "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING}},
            }
    return {
        "asyncapi": "3.0.0",
        "id": "urn:veilleuse:events",
        "info": {"title": "Veilleuse events", "version": "1.1.0",
                 "description": f"Every event of the platform, as the code declares it; the prose is "
                                f"docs/events.md. Bind your own durable queue to the topic exchange {EXCHANGE} "
                                f"with the routing keys (= event types) you want, before you need the events: "
                                f"an event no queue binds goes through the alternate exchange {UNROUTED} into "
                                f"a bounded queue for the operators only. Delivery is at least once: keep the "
                                f"ids you have applied. Generated by `python -m shared.bus.catalogue`."},
        "defaultContentType": "application/cloudevents+json",
        "servers": {"rabbitmq": {"host": "rabbitmq:5672", "protocol": "amqp", "protocolVersion": "0-9-1",
                                 "description": "the deployment's RabbitMQ (docker-compose.yml)"}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


class _Dumper(yaml.SafeDumper):
    """Writes a value shared by two places twice, never as a YAML anchor and alias."""

    def ignore_aliases(self, data) -> bool:
        return True


def render() -> str:
    return yaml.dump(asyncapi(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


# -- docs/events.md --------------------------------------------------------------------------------------------

BLOCK = re.compile(r"<!-- generated: (fields|example) ([a-z0-9_. ]+?) -->\n.*?<!-- end generated -->", re.S)


def _compact(value, indent: int = 0, width: int = 110) -> str:
    """JSON on as few lines as reads well: a value whose one-line form fits stays on one line."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= width or not isinstance(value, dict | list) or not value:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_compact(v, indent + 2, width)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return "[\n" + ",\n".join(inner + _compact(v, indent + 2, width) for v in value) + "\n" + " " * indent + "]"


def _block(kind: str, types: list[str]) -> str:
    contracts = every_contract()
    unknown = [t for t in types if t not in contracts]
    if unknown:
        raise ValueError(f"docs/events.md names {unknown}, which no contract declares")
    if kind == "example":
        if len(types) != 1:
            raise ValueError(f"one example per block, not {types}")
        return "```json\n" + _compact(example_event(types[0])) + "\n```"
    schemas = {contracts[t][1].schema for t in types}
    if len(schemas) != 1:
        raise ValueError(f"one table for {types}, which do not share one schema")
    return table(schemas.pop())


def render_events_md(text: str) -> str:
    """docs/events.md with every generated block made anew from the contracts."""
    def fill(match: re.Match) -> str:
        kind, types = match.group(1), match.group(2).split()
        return f"<!-- generated: {kind} {' '.join(types)} -->\n{_block(kind, types)}\n<!-- end generated -->"
    return BLOCK.sub(fill, text)


def documented(text: str) -> dict[str, set[str]]:
    """event type -> the kinds of generated block (fields, example) docs/events.md has for it."""
    found: dict[str, set[str]] = {}
    for match in BLOCK.finditer(text):
        for type_ in match.group(2).split():
            found.setdefault(type_, set()).add(match.group(1))
    return found


def write() -> None:
    ASYNCAPI.write_text(render())
    EVENTS_MD.write_text(render_events_md(EVENTS_MD.read_text()))


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        sys.stdout.write(render())
