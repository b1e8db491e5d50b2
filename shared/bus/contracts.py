"""The contract of each event type: a marshmallow schema of its `data`, checked each time an event is recorded.

A component declares what it publishes in its `events.py`, beside the code that publishes it:
`PUBLISHED = publishes(SOURCE, Contract(type, schema, summary, subject=...), ...)`. `record_event` refuses
an event whose data breaks the contract of its type (a missing, extra, mistyped or out-of-range field), whose
type has no contract, or whose publisher is another component: the use case fails, and so does any test that
runs it, instead of the event reaching outside programs. A consumer marks the schema it reads an event with
`@reads(type)`, and a test checks that what it reads is what the publisher promises. docs/events.md (field
tables, examples) and docs/asyncapi.yaml are generated from the same schemas (shared.bus.catalogue).

Field types here are strict (the data is JSON already: nothing is cast), and carry their description and an
example in `metadata`; the examples of a schema's fields make the example of its events.
"""
from __future__ import annotations

import copy
import importlib
import re
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate

from shared.fields import Integer


class ContractViolation(ValueError):
    """An event its publisher's contract does not allow; the text says which type and which fields."""


class EventData(Schema):
    """Base of the schema of a published event's `data` (and of objects nested in it): exactly the fields
    declared, in this order; an undeclared one is refused."""

    class Meta:
        unknown = RAISE


# -- strict field types ---------------------------------------------------------------------------------------

RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})")
LOCAL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CLOCK_TIME = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
EXAMPLE_NAMESPACE = uuid.UUID("0c6a3f5e-2b7d-4e19-9a84-51d0f3c2b6a7")


def example_id(name: str) -> str:
    """A stable UUID to show in examples, the same wherever the same thing is named."""
    return str(uuid.uuid5(EXAMPLE_NAMESPACE, name))


def _rfc3339(value: str) -> None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00")) if RFC3339.fullmatch(value) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError("give an RFC 3339 time with its offset, e.g. 2026-12-08T13:00:00+00:00")


def _local_date(value: str) -> None:
    try:
        valid = bool(LOCAL_DATE.fullmatch(value)) and bool(date.fromisoformat(value))
    except ValueError:
        valid = False
    if not valid:
        raise ValidationError("give a date as YYYY-MM-DD")


class Number(fields.Field):
    """A JSON number, whole or not; never a string or a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("give a number, e.g. 1.5")
        return value


class Flag(fields.Field):
    """A JSON boolean: true or false, nothing else ("yes", 1 and "true" are refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("give true or false")
        return value


def _meta(description: str, example, label: str | None = None, **json) -> dict:
    metadata = {"description": description}
    if example is not missing:
        metadata["example"] = example
    if label:
        metadata["label"] = label
    if json:
        metadata["json"] = json
    return metadata


def _options(required: bool, nullable: bool) -> dict:
    return {"required": required, "allow_none": nullable}


def Id(description: str, *, example=missing, required: bool = True, nullable: bool = False) -> fields.String:
    """Id of an entity of the platform: a UUID (tests use readable ids: only the length is checked)."""
    return fields.String(validate=validate.Length(1, 36), metadata=_meta(description, example, format="uuid"),
                         **_options(required, nullable))


def AccountId(description: str, *, example=missing, required: bool = True,
              nullable: bool = False) -> fields.String:
    """An account, as the gateway names it: an opaque string."""
    return fields.String(validate=validate.Length(1, 80), metadata=_meta(description, example, label="string"),
                         **_options(required, nullable))


def Text(description: str, *, example=missing, choices=None, length: tuple[int, int] | None = None,
         required: bool = True, nullable: bool = False) -> fields.String:
    validators = []
    if choices is not None:
        validators.append(validate.OneOf(list(choices)))
    if length is not None:
        validators.append(validate.Length(*length))
    return fields.String(validate=validators, metadata=_meta(description, example),
                         **_options(required, nullable))


def Moment(description: str, *, example=missing, required: bool = True, nullable: bool = False) -> fields.String:
    """An instant: RFC 3339 with an offset (we publish UTC)."""
    return fields.String(validate=_rfc3339, metadata=_meta(description, example, format="date-time"),
                         **_options(required, nullable))


def Day(description: str, *, example=missing, required: bool = True, nullable: bool = False) -> fields.String:
    """A calendar date, YYYY-MM-DD (the local date at the site)."""
    return fields.String(validate=_local_date, metadata=_meta(description, example, format="date"),
                         **_options(required, nullable))


def ClockTime(description: str, *, example=missing, required: bool = True) -> fields.String:
    """A time of day, HH:MM, at the site."""
    return fields.String(validate=validate.Regexp(CLOCK_TIME),
                         metadata=_meta(description, example, label="string `HH:MM`", pattern=CLOCK_TIME),
                         **_options(required, False))


def Whole(description: str, *, example=missing, minimum: int | None = 0, maximum: int | None = None,
          required: bool = True, nullable: bool = False) -> Integer:
    return Integer(validate=validate.Range(minimum, maximum), metadata=_meta(description, example),
                   **_options(required, nullable))


def Amount(description: str, *, example=missing, minimum: float | None = 0, required: bool = True) -> Number:
    return Number(validate=validate.Range(minimum, None), metadata=_meta(description, example),
                  **_options(required, False))


def Boolean(description: str, *, example=missing, required: bool = True) -> Flag:
    return Flag(metadata=_meta(description, example), **_options(required, False))


def ListOf(item: fields.Field, description: str, *, example=missing, longest: int | None = None,
           required: bool = True) -> fields.List:
    return fields.List(item, validate=validate.Length(max=longest) if longest else None,
                       metadata=_meta(description, example), **_options(required, False))


def Object(schema: type[Schema], description: str, *, example=missing, required: bool = True,
           nullable: bool = False) -> fields.Nested:
    return fields.Nested(schema, metadata=_meta(description, example), **_options(required, nullable))


def MapOf(values: fields.Field, description: str, *, keys=None, key_name: str = "key", example=missing,
          required: bool = True) -> fields.Dict:
    """An object whose keys are `keys` (any string if None), each with a value of the same type; `key_name`
    stands for a key in the docs (`rates.<kind>.hour`)."""
    key = fields.String(validate=validate.OneOf(list(keys))) if keys else fields.String()
    return fields.Dict(keys=key, values=values, metadata={**_meta(description, example), "key_name": key_name},
                       **_options(required, False))


# -- the registry ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Contract:
    """What one event type carries. `subject`: the field of the data whose value is the event's subject;
    `example`: values of the example that differ from the fields' own (e.g. the status of this type)."""

    type: str
    schema: type[Schema]
    summary: str
    subject: str | None = None
    example: Mapping = field(default_factory=dict)


_PUBLISHED: dict[str, tuple[str, Contract]] = {}
_VALIDATORS: dict[type, Schema] = {}
READERS: list[tuple[str, type[Schema]]] = []   # (event type, schema a consumer reads it with)
# The latest violations in this process, even those a caller caught: the test suite fails a test after which
# one is left here (tests/conftest.py), so a worker loop that logs and goes on cannot hide one.
VIOLATIONS: deque[str] = deque(maxlen=100)


def publishes(source: str, *contracts: Contract) -> dict[str, Contract]:
    """Register what `source` publishes; gives {type: contract} (an events module's `PUBLISHED`)."""
    for contract in contracts:
        known = _PUBLISHED.get(contract.type)
        if known is not None and known[0] != source:
            raise ValueError(f"{contract.type} is published by {known[0]} already, not by {source}")
        _PUBLISHED[contract.type] = (source, contract)
    return {contract.type: contract for contract in contracts}


def reads(*types: str) -> Callable[[type[Schema]], type[Schema]]:
    """Class decorator: this consumer schema reads the data of these event types."""
    def register(schema: type[Schema]) -> type[Schema]:
        READERS.extend((type_, schema) for type_ in types)
        return schema
    return register


def _events_module(source: str) -> None:
    package = "gateway" if source == "gateway" else f"services.{source}"
    try:
        importlib.import_module(f"{package}.events")
    except ModuleNotFoundError:
        pass


def contract_of(type_: str, source: str | None = None) -> tuple[str, Contract]:
    """(publisher, contract) of a type; the events module of `source` (or of every component) is read first
    if need be."""
    if type_ not in _PUBLISHED and source:
        _events_module(source)
    if type_ not in _PUBLISHED and not source:
        every_contract()
    if type_ not in _PUBLISHED:
        raise ContractViolation(f"{type_} has no contract: declare it in PUBLISHED in its publisher's events.py")
    return _PUBLISHED[type_]


def check(source: str, type_: str, data, subject: str | None = None) -> None:
    """Raise ContractViolation unless `source` may publish `type_` with this data and subject."""
    try:
        _check(source, type_, data, subject)
    except ContractViolation as violation:
        VIOLATIONS.append(str(violation))
        raise


def _check(source: str, type_: str, data, subject: str | None) -> None:
    publisher, contract = contract_of(type_, source)
    if publisher != source:
        raise ContractViolation(f"{type_} is published by {publisher}, not by {source}")
    if not isinstance(data, dict):
        raise ContractViolation(f"{type_}: data must be a JSON object")
    validator = _VALIDATORS.get(contract.schema)
    if validator is None:
        validator = _VALIDATORS[contract.schema] = contract.schema()
    errors = validator.validate(data)
    if errors:
        raise ContractViolation(f"{type_}: the data breaks its contract ({contract.schema.__name__}): {errors}")
    if contract.subject is not None and subject != data[contract.subject]:
        raise ContractViolation(f"{type_}: the subject must be data.{contract.subject}, not {subject!r}")


def every_contract() -> dict[str, tuple[str, Contract]]:
    """Every published type of the platform -> (publisher, contract); reads every component's events.py."""
    from shared.bus.topology import COMPONENTS

    for component in COMPONENTS:
        _events_module(component)
    return dict(sorted(_PUBLISHED.items()))


# -- examples -------------------------------------------------------------------------------------------------

EXAMPLE_TIME = "2026-11-22T09:00:00.000000Z"
EXAMPLE_REQUEST_ID = "5f1d0e1c7a2b4c3d9e8f7a6b5c4d3e2f"


def _field_example(item: fields.Field):
    if "example" in item.metadata:
        return item.metadata["example"]
    if isinstance(item, fields.Nested):
        return example_of(item.nested)
    if isinstance(item, fields.List):
        inner = _field_example(item.inner)
        return missing if inner is missing else [inner]
    return missing


def example_of(schema: type[Schema], **overrides) -> dict:
    """Data made of the examples of the schema's fields (a nested schema's own, when a field has none)."""
    data = {}
    for name, item in schema._declared_fields.items():
        value = overrides[name] if name in overrides else _field_example(item)
        if value is not missing:
            data[item.data_key or name] = copy.deepcopy(value)   # the caller may change its copy
    return data


def example_data(type_: str, **overrides) -> dict:
    """Valid data of this type: its contract's example with `overrides` (e.g. for a test's own ids)."""
    _publisher, contract = contract_of(type_)
    return example_of(contract.schema, **{**contract.example, **overrides})


def example_event(type_: str) -> dict:
    """A whole CloudEvent of this type, as the bus carries it."""
    publisher, contract = contract_of(type_)
    data = example_data(type_)
    event = {"specversion": "1.0", "id": example_id(f"event:{type_}"), "source": f"/veilleuse/{publisher}",
             "type": type_, "time": EXAMPLE_TIME, "datacontenttype": "application/json"}
    if contract.subject is not None:
        event["subject"] = data[contract.subject]
    event["correlationid"] = EXAMPLE_REQUEST_ID
    event["data"] = data
    return event
