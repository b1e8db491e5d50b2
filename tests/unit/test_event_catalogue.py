"""docs/events.md and docs/asyncapi.yaml say what the code does: outside programs read only them."""
import json
import re

from shared.bus.catalogue import _sections, published, queues, render
from shared.config import ROOT

EVENTS_MD = (ROOT / "docs" / "events.md").read_text()
SECTIONS = _sections(EVENTS_MD)


def test_every_published_and_consumed_type_has_a_section_with_a_valid_example():
    consumed = {type_ for types in queues().values() for type_ in types}
    for type_ in set(published()) | consumed:
        assert type_ in SECTIONS, f"{type_} has no section in docs/events.md"
        example = SECTIONS[type_]["example"]
        assert example is not None, f"{type_} has no JSON example"
        assert example["specversion"] == "1.0" and isinstance(example["data"], dict)


def test_every_event_type_named_in_the_code_is_in_the_catalogue():
    pattern = re.compile(r"[\"']((?:booking|relay|grocery|housing|identity|platform)\.[a-z_]+\.[a-z_]+)[\"']")
    named = set()
    for folder in ("services", "gateway", "shared"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts:
                named |= set(pattern.findall(path.read_text()))
    missing = sorted(t for t in named if f"`{t}`" not in EVENTS_MD)
    assert not missing, f"event types in the code but not in docs/events.md: {missing}"


def test_every_queue_of_ours_is_in_the_queue_table():
    for queue in queues():
        assert f"`{queue}`" in EVENTS_MD, f"queue {queue} is not in docs/events.md"


def test_examples_carry_no_personal_data():
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    for type_, section in SECTIONS.items():
        assert not email.search(json.dumps(section["example"] or {})), type_


def test_the_asyncapi_document_is_current():
    committed = (ROOT / "docs" / "asyncapi.yaml").read_text()
    assert committed == render(), "run `python -m shared.bus.catalogue > docs/asyncapi.yaml`"
