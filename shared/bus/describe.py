"""What the schema of an event's data says, for readers: as JSON Schema (the AsyncAPI payloads) and as the rows
of a Markdown table (docs/events.md). Only the field types of shared.bus.contracts are known here: a field of
another type fails loudly rather than be described wrongly."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.bus.contracts import Flag, Number

FORMAT_LABELS = {"uuid": "string (UUID)", "date-time": "string (RFC 3339)", "date": "string (date)"}


def _validators(item: fields.Field) -> list:
    return list(item.validators)


def _base(item: fields.Field) -> dict:
    if isinstance(item, fields.Nested):
        return object_schema(item.nested)
    if isinstance(item, fields.List):
        return {"type": "array", "items": field_schema(item.inner)}
    if isinstance(item, fields.Dict):
        out = {"type": "object", "additionalProperties": field_schema(item.value_field)}
        keys = [v for v in _validators(item.key_field) if isinstance(v, validate.OneOf)]
        if keys:
            out["propertyNames"] = {"enum": list(keys[0].choices)}
        return out
    if isinstance(item, fields.Integer):
        return {"type": "integer"}
    if isinstance(item, Number):
        return {"type": "number"}
    if isinstance(item, Flag):
        return {"type": "boolean"}
    if isinstance(item, fields.String):
        return {"type": "string"}
    raise TypeError(f"no JSON Schema for the field type {type(item).__name__}: use shared.bus.contracts' types")


def field_schema(item: fields.Field) -> dict:
    """The JSON Schema (draft 7, as AsyncAPI 3 reads it) of one field."""
    out = {}
    if item.metadata.get("description"):
        out["description"] = item.metadata["description"]
    out.update(_base(item))
    out.update(item.metadata.get("json", {}))
    for rule in _validators(item):
        if isinstance(rule, validate.Range):
            if rule.min is not None:
                out["minimum"] = rule.min
            if rule.max is not None:
                out["maximum"] = rule.max
        elif isinstance(rule, validate.Length):
            low, high = ("minItems", "maxItems") if out["type"] == "array" else ("minLength", "maxLength")
            if rule.min:
                out[low] = rule.min
            if rule.max is not None:
                out[high] = rule.max
        elif isinstance(rule, validate.OneOf):
            out["enum"] = list(rule.choices)
    if item.allow_none:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"].append(None)
    return out


def object_schema(schema: type[Schema] | Schema) -> dict:
    """The JSON Schema of a whole data object: every field, which are required, nothing else allowed."""
    declared = schema._declared_fields
    out = {"type": "object"}
    doc = (schema.__doc__ or "").strip() if isinstance(schema, type) else ""
    if doc and not doc.startswith("Base of"):
        out["description"] = " ".join(doc.split())
    required = [item.data_key or name for name, item in declared.items() if item.required]
    if required:
        out["required"] = required
    out["properties"] = {item.data_key or name: field_schema(item) for name, item in declared.items()}
    out["additionalProperties"] = False
    return out


# -- Markdown ---------------------------------------------------------------------------------------------------

def _type_label(item: fields.Field) -> str:
    if "label" in item.metadata:
        label = item.metadata["label"]
    elif isinstance(item, fields.List):
        label = f"array of {_type_label(item.inner).removesuffix(', optional')}"
    elif isinstance(item, fields.Nested | fields.Dict):
        label = "object"
    else:
        schema = _base(item)
        label = FORMAT_LABELS.get(item.metadata.get("json", {}).get("format"), schema["type"])
    for rule in _validators(item):
        if isinstance(rule, validate.Range) and (rule.min not in (0, None) or rule.max is not None):
            label += (f" ≥ {rule.min}" if rule.max is None else
                      f" ≤ {rule.max}" if rule.min is None else f", {rule.min} to {rule.max}")
    if item.allow_none:
        label += " or null"
    if not item.required:
        label += ", optional"
    return label


def _meaning(item: fields.Field) -> str:
    meaning = item.metadata.get("description", "")
    for rule in _validators(item):
        if isinstance(rule, validate.OneOf):
            choices = [f"`{choice}`" for choice in rule.choices]
            if not all(choice in meaning for choice in choices):
                meaning += ("; " if meaning else "") + (f"always {choices[0]}" if len(choices) == 1 else
                                                        "one of " + ", ".join(choices))
    return meaning.replace("|", "\\|")


def _inside(item: fields.Field) -> tuple[str, type[Schema] | None]:
    """The path suffix and the schema of the objects a field holds, if it holds objects."""
    if isinstance(item, fields.Nested):
        return "", item.nested
    if isinstance(item, fields.List):
        suffix, nested = _inside(item.inner)
        return "[]" + suffix, nested
    if isinstance(item, fields.Dict):
        suffix, nested = _inside(item.value_field)
        return f".<{item.metadata.get('key_name', 'key')}>" + suffix, nested
    return "", None


def rows(schema: type[Schema], prefix: str = "") -> list[tuple[str, str, str]]:
    """(field path, type, meaning) of every field, those of nested objects after their parent's."""
    found = []
    for name, item in schema._declared_fields.items():
        path = prefix + (item.data_key or name)
        found.append((path, _type_label(item), _meaning(item)))
        suffix, nested = _inside(item)
        if nested is not None:
            found += rows(nested, f"{path}{suffix}.")
    return found


def table(schema: type[Schema]) -> str:
    lines = ["| field | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{path}` | {label} | {meaning} |" for path, label, meaning in rows(schema)]
    return "\n".join(lines)
