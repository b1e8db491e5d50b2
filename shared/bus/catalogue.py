"""The event catalogue as the code declares it, and the AsyncAPI document made from it.

`python -m shared.bus.catalogue > docs/asyncapi.yaml` rewrites the document; a test checks that the
committed one is current and that docs/events.md describes every type."""
from __future__ import annotations

import importlib
import json
import re
import sys

import yaml

from shared.bus.topology import COMPONENTS, platform_queues
from shared.config import ROOT


def _module(component: str, name: str):
    package = "gateway" if component == "gateway" else f"services.{component}"
    return importlib.import_module(f"{package}.{name}")


def published() -> dict[str, str]:
    """event type -> the component that publishes it."""
    return {type_: component for component in COMPONENTS for type_ in _module(component, "events").PUBLISHED}


def queues() -> dict[str, list[str]]:
    """our consumer queues -> the event types bound to each (the topology the migration declares)."""
    return {queue: list(types) for queue, types in platform_queues().items()}


def _sections(markdown: str) -> dict[str, dict]:
    """For each event type with its own heading in docs/events.md: its first paragraph and its example."""
    found: dict[str, dict] = {}
    parts = re.split(r"^#{2,4} ", markdown, flags=re.M)
    for part in parts:
        heading, _, body = part.partition("\n")
        types = re.findall(r"`([a-z]+\.[a-z_]+\.[a-z_]+)`", heading)
        if not types:
            continue
        paragraph = body.strip().split("\n\n")[0].replace("\n", " ") if body.strip() else ""
        example = None
        block = re.search(r"```json\n(.*?)```", body, flags=re.S)
        if block:
            try:
                example = json.loads(block.group(1))
            except ValueError:
                example = None
        for type_ in types:
            found.setdefault(type_, {"description": paragraph, "example": example})
    return found


def _envelope() -> dict:
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"type": "string", "const": "1.0"},
            "id": {"type": "string", "description": "unique id of the event; the same id may arrive twice"},
            "source": {"type": "string", "description": "/veilleuse/<component>"},
            "type": {"type": "string", "description": "the event type, also the routing key"},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": "string", "description": "id of the entity concerned"},
            "datacontenttype": {"type": "string", "const": "application/json"},
            "correlationid": {"type": "string", "description": "X-Request-Id of the HTTP request that caused it"},
            "data": {"type": "object", "description": "see docs/events.md for the fields of each type"},
        },
    }


def asyncapi() -> dict:
    sections = _sections((ROOT / "docs" / "events.md").read_text())
    channels, operations, messages = {}, {}, {}
    for type_, component in sorted(published().items()):
        key = type_.replace(".", "_")
        section = sections.get(type_, {})
        message = {
            "name": type_, "title": type_, "contentType": "application/cloudevents+json",
            "summary": section.get("description", "")[:500],
            "payload": {"$ref": "#/components/schemas/CloudEvent"},
            "bindings": {"amqp": {"messageType": type_, "deliveryMode": 2}},
        }
        if section.get("example"):
            message["examples"] = [{"payload": section["example"]}]
        messages[key] = message
        channels[key] = {
            "address": type_,
            "description": f"Published by {component} on the topic exchange veilleuse.events, routing key {type_}.",
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": {"is": "routingKey",
                                  "exchange": {"name": "veilleuse.events", "type": "topic", "durable": True,
                                               "autoDelete": False, "vhost": "/"}}},
        }
        operations[f"publish_{key}"] = {"action": "send", "channel": {"$ref": f"#/channels/{key}"}}
    for queue, types in sorted(queues().items()):
        for type_ in types:
            key = type_.replace(".", "_")
            if key in channels:
                operations[f"{queue.replace('.', '_')}_receives_{key}"] = {
                    "action": "receive", "channel": {"$ref": f"#/channels/{key}"},
                    "description": f"our queue {queue} (quorum, dead-letters to {queue}.dlq)"}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Veilleuse events", "version": "1.0.0",
                 "description": "Every event of the platform; the prose catalogue is docs/events.md. "
                                "The exchange veilleuse.events has the alternate exchange veilleuse.unrouted: "
                                "an event no queue binds is kept only there (bounded, for the operators), so "
                                "bind your own durable queue before you need the events. "
                                "Generated by `python -m shared.bus.catalogue`."},
        "defaultContentType": "application/cloudevents+json",
        "servers": {"rabbitmq": {"host": "rabbitmq:5672", "protocol": "amqp", "protocolVersion": "0-9-1",
                                 "description": "the deployment's RabbitMQ (docker-compose.yml)"}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": {"CloudEvent": _envelope()}, "messages": messages},
    }


def render() -> str:
    return yaml.safe_dump(asyncapi(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
