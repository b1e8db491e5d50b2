"""The contracts of the events: every published event keeps its type's schema, and consumers read only what
the publishers promise."""
import importlib

import pytest
from sqlalchemy import func, select

from services.booking import service as booking
from services.booking.handlers import HANDLERS
from shared.bus import record_event
from shared.bus.contracts import (
    READERS,
    VIOLATIONS,
    ContractViolation,
    check,
    contract_of,
    every_contract,
    example_data,
)
from shared.bus.tables import outbox
from shared.bus.topology import COMPONENTS, platform_queues, worker_module

ROOM = "booking.room.created"
SITE = {"site_id": "site-1", "slug": "la-coroutine", "name": "La Coroutine", "timezone": "Europe/Paris",
        "version": 1, "opening_hours": {}}


@pytest.fixture
def db(sqlite_database):
    return sqlite_database("booking")


def outbox_rows(db) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(outbox))


def refused(db, source: str, type_: str, data, subject=None) -> str:
    """Record an event that must be refused: the message, after checking nothing reached the outbox."""
    with pytest.raises(ContractViolation) as refusal:
        with db.transaction() as session:
            record_event(session, source, type_, data, subject=subject)
    assert outbox_rows(db) == 0
    assert VIOLATIONS, "a violation is kept for the test suite"
    VIOLATIONS.clear()
    return str(refusal.value)


def test_an_event_that_keeps_its_contract_is_recorded(db):
    with db.transaction() as session:
        record_event(session, "booking", ROOM, example_data(ROOM, room_id="r-1"), subject="r-1")
    assert outbox_rows(db) == 1 and not VIOLATIONS


@pytest.mark.parametrize(("change", "named"), [
    (lambda data: data.pop("capacity"), "capacity"),                         # a field missing
    (lambda data: data.update(owner_email="x@example.org"), "owner_email"),  # a field no contract declares
    (lambda data: data.update(capacity="20"), "capacity"),                  # a number as text
    (lambda data: data.update(capacity=20.0), "capacity"),                  # not a whole number
    (lambda data: data.update(currency="USD"), "currency"),                 # not one of the choices
    (lambda data: data.update(room_id=None), "room_id"),                    # null where none is allowed
    (lambda data: data["rates"]["company"].update(money_box="no"), "money_box"),  # nested, not a boolean
    (lambda data: data["rates"].update(friends=data["rates"]["company"]), "friends"),  # an unknown key
], ids=["missing", "extra", "text-number", "float", "choice", "null", "nested-boolean", "unknown-key"])
def test_data_that_breaks_the_contract_is_refused_and_nothing_is_recorded(db, change, named):
    data = example_data(ROOM, room_id="r-1")
    change(data)
    assert named in refused(db, "booking", ROOM, data, subject="r-1")


@pytest.mark.parametrize("moment", ["2026-12-08T13:00:00", "2026-12-08 13:00:00+00:00", "8/12/2026",
                                    "2026-13-08T13:00:00Z"])
def test_a_time_without_offset_or_not_rfc_3339_is_refused(db, moment):
    type_ = "booking.reservation.confirmed"
    data = example_data(type_, reservation_id="res-1", starts_at=moment)
    assert "starts_at" in refused(db, "booking", type_, data, subject="res-1")


def test_a_type_without_contract_is_refused(db):
    assert "no contract" in refused(db, "booking", "booking.room.repainted", {"room_id": "r-1"})


def test_a_component_cannot_publish_another_ones_type(db):
    assert "published by booking, not by relay" in refused(db, "relay", ROOM, example_data(ROOM, room_id="r"),
                                                           subject="r")


def test_the_subject_is_the_field_the_contract_names(db):
    assert "subject" in refused(db, "booking", ROOM, example_data(ROOM, room_id="r-1"), subject="r-2")


def test_a_use_case_publishing_a_broken_event_fails(db, monkeypatch):
    with db.transaction() as session:
        HANDLERS["platform.site.created"](session, {"type": "platform.site.created", "data": SITE})
    monkeypatch.setattr(booking, "room_event_data", lambda room: {"room_id": room.id, "name": room.name})
    with pytest.raises(ContractViolation, match="booking.room.created"):
        with db.transaction() as session:
            booking.create_room(session, "la-coroutine", "Salle", 10, room_id="room-1")
    VIOLATIONS.clear()
    with db.sessions() as session:
        assert booking.list_rooms(session) == []


def test_a_violation_caught_by_the_code_is_still_kept_for_the_suite():
    with pytest.raises(ContractViolation):
        check("booking", ROOM, {})
    assert any(ROOM in violation for violation in VIOLATIONS)
    VIOLATIONS.clear()


def test_every_published_type_has_a_contract_that_its_example_keeps():
    contracts = every_contract()
    for component in COMPONENTS:
        package = "gateway" if component == "gateway" else f"services.{component}"
        for type_, contract in importlib.import_module(f"{package}.events").PUBLISHED.items():
            assert contracts[type_] == (component, contract)
            data = example_data(type_)
            check(component, type_, data, data.get(contract.subject) if contract.subject else None)


def test_every_consumer_reads_only_fields_the_publisher_promises():
    for component in COMPONENTS:
        worker_module(component)   # imports every handler, so every consumer schema is registered
    consumed = {type_ for types in platform_queues().values() for type_ in types}
    assert {type_ for type_, _schema in READERS} == consumed, "each type a queue binds is read with a schema"
    for type_, schema in READERS:
        _publisher, contract = contract_of(type_)
        promised = contract.schema._declared_fields
        for name, field in schema._declared_fields.items():
            key = field.data_key or name
            if field.required:
                assert key in promised and promised[key].required, \
                    f"{schema.__module__}.{schema.__name__} requires {key} of {type_}, which is not always there"
            else:
                assert key in promised, f"{schema.__module__}.{schema.__name__} reads {key}, never in {type_}"
        assert schema().validate(example_data(type_)) == {}, f"{schema.__name__} refuses the example of {type_}"
