"""docs/events.md and docs/asyncapi.yaml say what the code does: outside programs read only them."""
import json
import re
import shutil
import subprocess

import jsonschema_rs
import yaml

from shared.bus.catalogue import EVENTS_MD, asyncapi, documented, published, queues, render, render_events_md
from shared.bus.contracts import example_event
from shared.config import ROOT

EVENTS_TEXT = EVENTS_MD.read_text()
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_every_published_type_has_its_generated_table_and_example_in_events_md():
    blocks = documented(EVENTS_TEXT)
    for type_ in published():
        assert blocks.get(type_) == {"fields", "example"}, f"{type_}: needs a fields and an example block"
    assert set(blocks) <= set(published()), "docs/events.md documents a type nobody publishes"


def test_every_type_our_queues_bind_is_published_by_a_component():
    consumed = {type_ for types in queues().values() for type_ in types}
    assert consumed <= set(published())


def test_the_generated_parts_of_events_md_are_current():
    assert render_events_md(EVENTS_TEXT) == EVENTS_TEXT, "run `python -m shared.bus.catalogue --write`"


def test_a_stale_table_or_example_in_events_md_is_found():
    stale = EVENTS_TEXT.replace("| `attendees` |", "| `people` |", 1)
    stale = stale.replace('"type": "booking.room.retired"', '"type": "booking.room.removed"', 1)
    assert stale != EVENTS_TEXT
    assert render_events_md(stale) == EVENTS_TEXT


def test_the_prose_of_events_md_is_kept():
    assert "## How to listen" in render_events_md(EVENTS_TEXT)
    with_note = EVENTS_TEXT.replace("## How to listen", "## How to listen\n\nA note of ours.", 1)
    assert "A note of ours." in render_events_md(with_note)


def test_the_asyncapi_document_is_current():
    committed = (ROOT / "docs" / "asyncapi.yaml").read_text()
    assert committed == render(), "run `python -m shared.bus.catalogue --write`"


def test_every_event_type_named_in_the_code_is_in_the_catalogue():
    pattern = re.compile(r"[\"']((?:booking|relay|grocery|housing|identity|platform)\.[a-z_]+\.[a-z_]+)[\"']")
    named = set()
    for folder in ("services", "gateway", "shared"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts:
                named |= set(pattern.findall(path.read_text()))
    missing = sorted(t for t in named if f"`{t}`" not in EVENTS_TEXT)
    assert not missing, f"event types in the code but not in docs/events.md: {missing}"


def test_every_queue_of_ours_is_in_the_queue_table():
    for queue in queues():
        assert f"`{queue}`" in EVENTS_TEXT, f"queue {queue} is not in docs/events.md"


def test_examples_carry_no_personal_data_and_the_right_type_source_and_ids():
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    for type_, publisher in published().items():
        event = example_event(type_)
        assert not email.search(json.dumps(event)), type_
        assert event["type"] == type_ and event["source"] == f"/veilleuse/{publisher}"
        assert UUID.fullmatch(event["id"]) and UUID.fullmatch(event.get("subject", event["id"])), type_
        ids = {k: v for k, v in event["data"].items() if k.endswith("_id") and isinstance(v, str)}
        assert all(UUID.fullmatch(v) for v in ids.values()), f"{type_}: example ids must be UUIDs: {ids}"


def test_every_example_is_valid_against_its_payload_schema_in_the_asyncapi_document():
    """What the parser does not check: each example against its message's payload (JSON Schema, with formats:
    UUID ids, RFC 3339 times, dates)."""
    document = asyncapi()
    messages = document["components"]["messages"]
    assert set(messages) == {t.replace(".", "_") for t in published()}
    for key, message in messages.items():
        validator = jsonschema_rs.Draft202012Validator(
            {"$ref": f"#/components/messages/{key}/payload", "components": document["components"]},
            validate_formats=True)
        for example in message["examples"]:
            errors = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(example["payload"])]
            assert not errors, f"{key}: {errors}"


def test_the_payload_schemas_refuse_what_the_contracts_refuse():
    document = asyncapi()
    key = "booking_reservation_confirmed"
    validator = jsonschema_rs.Draft202012Validator(
        {"$ref": f"#/components/messages/{key}/payload", "components": document["components"]}, validate_formats=True)
    good = example_event("booking.reservation.confirmed")
    assert validator.is_valid(good)
    for broken in ({**good, "type": "booking.reservation.requested"},
                   {**good, "data": {**good["data"], "attendees": "20"}},
                   {**good, "data": {**good["data"], "ends_at": "2026-12-08 16:30"}},
                   {**good, "data": {**good["data"], "room_id": "room-1"}},
                   {**good, "data": {**good["data"], "requester_id": "someone"}},
                   {**good, "data": {k: v for k, v in good["data"].items() if k != "attendees"}}):
        assert not validator.is_valid(broken), broken


# -- the official parser -------------------------------------------------------------------------------------

def validate_with_the_parser(path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    assert node, "node is needed to validate the AsyncAPI document (`make test` checks it)"
    assert (ROOT / "node_modules" / "@asyncapi" / "parser").is_dir(), "run `npm install` (make browsers does)"
    return subprocess.run([node, "tools/validate-asyncapi.mjs", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_the_official_asyncapi_parser_finds_no_error_in_the_document():
    result = validate_with_the_parser(ROOT / "docs" / "asyncapi.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "docs/asyncapi.yaml: 0 error(s), 0 warning(s)" in result.stdout


def test_the_parser_script_fails_on_a_broken_document(tmp_path):
    document = asyncapi()   # with the mistake the former document made 62 times
    document["components"]["messages"]["booking_room_created"]["bindings"]["amqp"]["deliveryMode"] = 2
    path = tmp_path / "asyncapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    result = validate_with_the_parser(path)
    assert result.returncode == 1, result.stdout
    assert re.search(r": [1-9][0-9]* error\(s\)", result.stdout), result.stdout
    assert "deliveryMode" in result.stdout
