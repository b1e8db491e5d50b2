"""The CloudEvents 1.0 envelope (structured JSON) that every event on the bus travels in."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone

CONTENT_TYPE = "application/cloudevents+json"
TYPE_PATTERN = re.compile(r"^[a-z]+\.[a-z_]+\.[a-z_]+(\.v[0-9]+)?$")
REQUIRED = ("specversion", "id", "source", "type")


class InvalidEvent(ValueError):
    """The message is not a CloudEvent this platform understands; the text says why."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_event(type_: str, source: str, data: dict, subject: str | None = None,
              correlationid: str | None = None, event_id: str | None = None) -> dict:
    if not TYPE_PATTERN.match(type_):
        raise ValueError(f"event type {type_!r} is not <service>.<entity>.<past-tense verb>")
    event = {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": type_,
        "time": utcnow().isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": data,
    }
    if subject is not None:
        event["subject"] = subject
    if correlationid:
        event["correlationid"] = correlationid
    return event


def encode(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode(body: bytes) -> dict:
    """Parse and check a structured CloudEvent; raise InvalidEvent with the reason."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise InvalidEvent("not a CloudEvent: the JSON is not an object")
    missing = [name for name in REQUIRED if not isinstance(event.get(name), str) or not event.get(name)]
    if missing:
        raise InvalidEvent(f"not a CloudEvent: missing or empty attribute(s) {', '.join(missing)}")
    if event["specversion"] != "1.0":
        raise InvalidEvent(f"not a CloudEvent 1.0: specversion is {event['specversion']!r}")
    if not isinstance(event.get("data"), dict):
        raise InvalidEvent("invalid data: a Veilleuse event carries a JSON object in data")
    return event
