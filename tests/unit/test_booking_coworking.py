"""What the coworking app needs to know: room kinds and desks, the desks a reservation takes, how long it holds
the room (blocked_until), and closures of a site or of one room as events (SQLite, through the HTTP API)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from services.booking import service
from tests.unit.test_booking_reservations import (  # noqa: F401
    ASSO,
    NEIGHBOUR,
    VEILLEUR,
    at,
    book,
    client,
    db,
    event_bodies,
    event_types,
    monday,
)

COWORKING = {"site": "la-coroutine", "name": "Espace coworking", "kind": "coworking", "capacity": 20, "desks": 20,
             "buffer_minutes": 30}


def same(moment: str, expected: str) -> bool:
    return datetime.fromisoformat(moment) == datetime.fromisoformat(expected)


@pytest.fixture
def coworking(client):
    response = client.post("/rooms", json=COWORKING, headers=VEILLEUR)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_a_room_has_a_kind_and_desks_shown_by_the_api_and_its_events(client, db, coworking):
    room = client.get(f"/rooms/{coworking}").json
    assert room["kind"] == "coworking" and room["desks"] == 20
    created = event_bodies(db, "booking.room.created")[-1]["data"]
    assert created["kind"] == "coworking" and created["desks"] == 20
    changed = client.patch(f"/rooms/{coworking}", json={"desks": 18, "kind": "event"}, headers=VEILLEUR)
    assert changed.status_code == 200 and (changed.json["kind"], changed.json["desks"]) == ("event", 18)
    updated = event_bodies(db, "booking.room.updated")[-1]["data"]
    assert (updated["kind"], updated["desks"]) == ("event", 18)


def test_a_room_is_a_meeting_room_without_desks_unless_told(client):
    room = client.get("/rooms/room-1").json
    assert room["kind"] == "meeting" and room["desks"] == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "ballroom"}, "kind"),
    ({"desks": 21}, "desks"),            # more desks than people
    ({"desks": "20"}, "desks"),          # strict integers
    ({"desks": 2.5}, "desks"),
    ({"desks": True}, "desks"),
    ({"desks": -1}, "desks"),
])
def test_a_wrong_kind_or_desk_count_is_a_422_naming_the_field(client, change, field):
    response = client.post("/rooms", json={**COWORKING, **change}, headers=VEILLEUR)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json" and field in response.json["errors"]


def test_fewer_people_than_desks_is_refused_on_change_too(client, coworking):
    response = client.patch(f"/rooms/{coworking}", json={"capacity": 10}, headers=VEILLEUR)
    assert response.status_code == 422 and "desks" in response.json["errors"]


def test_a_reservation_takes_every_desk_by_default_and_holds_the_room_until_the_buffer_ends(client, db, coworking):
    day = monday()
    response = client.post("/reservations", headers=NEIGHBOUR, json={
        "room": coworking, "starts_at": at(day, "18:00"), "ends_at": at(day, "19:00"), "attendees": 20,
        "public": True, "title": "Conférence"})
    assert response.status_code == 201, response.json
    assert response.json["desks"] == 20 and same(response.json["blocked_until"], at(day, "19:30"))
    data = event_bodies(db, "booking.reservation.requested")[-1]["data"]
    assert data["desks"] == 20
    assert same(data["blocked_until"], at(day, "19:30")) and data["blocked_until"].endswith("+00:00")
    assert event_bodies(db, "booking.reservation.confirmed")[-1]["data"]["status"] == "confirmed"
    public = client.get(f"/reservations/{response.json['id']}").json
    assert public["desks"] == 20 and "requester_id" not in public


def test_a_reservation_may_take_only_some_desks(client, db, coworking):
    response = client.post("/reservations", headers=NEIGHBOUR, json={
        "room": coworking, "starts_at": at(monday(), "10:00"), "ends_at": at(monday(), "12:00"), "attendees": 6,
        "desks": 6})
    assert response.status_code == 201 and response.json["desks"] == 6
    assert event_bodies(db, "booking.reservation.requested")[-1]["data"]["desks"] == 6


def test_a_reservation_in_a_room_without_desks_takes_none(client, db):
    assert book(client).json["desks"] == 0
    data = event_bodies(db, "booking.reservation.requested")[-1]["data"]
    assert data["desks"] == 0 and data["blocked_until"] == data["ends_at"]


@pytest.mark.parametrize(("room", "desks", "status", "rule"), [
    ("coworking", 21, 422, "desks"),
    ("room-1", 1, 422, "desks"),
    ("room-1", 0, 201, None),
    ("coworking", "3", 422, None),
    ("coworking", 1.5, 422, None),
])
def test_more_desks_than_the_room_has_or_a_non_integer_is_refused(client, db, coworking, room, desks, status, rule):
    response = client.post("/reservations", headers=NEIGHBOUR, json={
        "room": coworking if room == "coworking" else room, "starts_at": at(monday(), "10:00"),
        "ends_at": at(monday(), "12:00"), "attendees": 4, "desks": desks})
    assert response.status_code == status, response.json
    if status == 422:
        assert "desks" in response.json["errors"]
        assert response.json.get("rule") == rule
        assert "booking.reservation.requested" not in event_types(db)


def test_each_occurrence_of_a_series_takes_the_desks_asked_for(client, db, coworking):
    response = client.post("/reservation-series", headers=NEIGHBOUR, json={
        "room": coworking, "starts_at": at(monday(), "10:00"), "ends_at": at(monday(), "11:00"), "attendees": 4,
        "desks": 4, "recurrence": {"frequency": "weekly", "count": 3}})
    assert response.status_code == 201, response.json
    assert [r["desks"] for r in response.json["created"]] == [4, 4, 4]
    assert [e["data"]["desks"] for e in event_bodies(db, "booking.reservation.requested")] == [4, 4, 4]


def test_closing_and_reopening_a_site_publishes_events(client, db):
    day = monday()
    body = {"site": "la-coroutine", "starts_at": at(day, "00:00"), "ends_at": at(day + timedelta(days=1), "00:00"),
            "reason": "Inventaire"}
    closure = client.post("/closures", json=body, headers=VEILLEUR)
    assert closure.status_code == 201 and closure.json["room_id"] is None
    [created] = event_bodies(db, "booking.closure.created")
    assert created["subject"] == closure.json["id"]
    assert created["data"] == {"closure_id": closure.json["id"], "site_id": "site-1", "room_id": None,
                               "starts_at": created["data"]["starts_at"], "ends_at": created["data"]["ends_at"]}
    assert same(created["data"]["starts_at"], at(day, "00:00")) and "Inventaire" not in str(created)
    assert client.delete(f"/closures/{closure.json['id']}", headers=VEILLEUR).status_code == 204
    [deleted] = event_bodies(db, "booking.closure.deleted")
    assert deleted["data"] == created["data"] and deleted["subject"] == closure.json["id"]


def test_closing_one_room_blocks_only_that_room(client, db, coworking):
    day = monday()
    earlier = client.post("/reservations", headers=NEIGHBOUR, json={
        "room": coworking, "starts_at": at(day, "14:00"), "ends_at": at(day, "15:00"), "attendees": 4}).json
    body = {"site": "la-coroutine", "room": coworking, "starts_at": at(day, "09:00"), "ends_at": at(day, "19:00"),
            "reason": "Peinture"}
    closure = client.post("/closures", json=body, headers=VEILLEUR)
    assert closure.status_code == 201, closure.json
    assert closure.json["room_id"] == coworking and closure.json["affected_reservations"] == [earlier["id"]]
    assert event_bodies(db, "booking.closure.created")[0]["data"]["room_id"] == coworking
    refused = client.post("/reservations", headers=NEIGHBOUR, json={
        "room": coworking, "starts_at": at(day, "10:00"), "ends_at": at(day, "11:00"), "attendees": 4})
    assert refused.status_code == 422 and refused.json["rule"] == "closure"
    assert refused.json["title"] == "Room closed" and refused.json["closure"]["room_id"] == coworking
    assert book(client, day=day, start="10:00", end="11:00").status_code == 201, "another room stays open"
    availability = client.get("/availability", query_string={
        "site": "la-coroutine", "from": at(day, "00:00"), "to": at(day, "23:00")}).json
    assert availability["closures"] == [], "a room's closure does not close the site"
    free = {room["room_id"]: room["free"] for room in availability["rooms"]}
    assert free[coworking] == [] and free["room-1"] != []
    first = client.get("/availability/first-free", query_string={
        "room": coworking, "from": at(day, "09:00"), "duration_minutes": 60}).json
    assert datetime.fromisoformat(first["starts_at"]) >= datetime.fromisoformat(at(day + timedelta(days=1), "09:00"))
    listed = client.get("/closures", query_string={"room": coworking}).json
    assert [c["id"] for c in listed] == [closure.json["id"]]
    assert client.get("/closures", query_string={"room": "room-1"}).json == []


def test_a_site_closure_closes_every_room_of_the_site(client, coworking):
    day = monday()
    site_closure = client.post("/closures", headers=VEILLEUR, json={
        "site": "la-coroutine", "starts_at": at(day, "09:00"), "ends_at": at(day, "12:00")}).json
    assert [c["id"] for c in client.get("/closures", query_string={"room": coworking}).json] == [site_closure["id"]]
    refused = client.post("/reservations", headers=NEIGHBOUR, json={
        "room": coworking, "starts_at": at(day, "10:00"), "ends_at": at(day, "11:00"), "attendees": 4})
    assert refused.status_code == 422 and refused.json["title"] == "Site closed"


def test_a_room_of_another_site_or_unknown_cannot_be_closed_here(client, db):
    with db.transaction() as session:
        from services.booking.handlers import HANDLERS

        HANDLERS["platform.site.created"](session, {"type": "platform.site.created", "data": {
            "site_id": "site-2", "slug": "mutualab", "name": "Mutualab", "timezone": "Europe/Paris",
            "version": 1, "opening_hours": {}}})
        service.create_room(session, "mutualab", "Open space", 20, room_id="room-m", kind="coworking", desks=20)
    for room in ("room-m", "nope"):
        response = client.post("/closures", headers=VEILLEUR, json={
            "site": "la-coroutine", "room": room, "starts_at": at(monday(), "09:00"), "ends_at": at(monday(), "12:00")})
        assert response.status_code == 422 and "room" in response.json["errors"]
    assert "booking.closure.created" not in event_types(db)


def test_only_veilleurs_close_and_reopen(client, coworking):
    body = {"site": "la-coroutine", "room": coworking, "starts_at": at(monday(), "09:00"),
            "ends_at": at(monday(), "12:00")}
    assert client.post("/closures", json=body, headers=ASSO).status_code == 403
    closure = client.post("/closures", json=body, headers=VEILLEUR).json
    assert client.delete(f"/closures/{closure['id']}", headers=NEIGHBOUR).status_code == 403


def test_the_demo_rooms_have_their_kinds_and_desks_and_seeding_twice_changes_nothing(sqlite_database, clock):
    from infra.demo_data import SITES, demo_id, seed_booking
    from services.booking.handlers import HANDLERS
    from services.booking.models import Room

    database = sqlite_database("booking")
    with database.transaction() as session:
        for version, spec in enumerate(SITES, 1):
            HANDLERS["platform.site.created"](session, {"type": "platform.site.created", "data": {
                "site_id": demo_id("site", spec["slug"]), "slug": spec["slug"], "name": spec["name"],
                "timezone": "Europe/Paris", "version": version, "opening_hours": spec["opening_hours"]}})
        # A room seeded before rooms had a kind and desks.
        service.create_room(session, demo_id("site", "mutualab"), "Open space", 20,
                            room_id=demo_id("room", "mutualab/Open space"))
    seed_booking(database)
    seed_booking(database)
    with database.sessions() as session:
        rooms = {(r.site_id, r.name): (r.kind, r.desks) for r in session.scalars(select(Room))}
    coroutine, mutualab = demo_id("site", "la-coroutine"), demo_id("site", "mutualab")
    assert rooms[(coroutine, "Espace coworking")] == ("coworking", 20)
    assert rooms[(coroutine, "Salle d'événements")] == ("event", 0)
    assert rooms[(mutualab, "Open space")] == ("coworking", 20)
    assert len(rooms) == 7
    assert event_types(database).count("booking.room.updated") == 1, "the old room is updated once"


def test_the_openapi_document_shows_kinds_desks_and_room_closures(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["RoomCreate"]["properties"]["kind"]["enum"] == ["meeting", "event", "workshop", "coworking"]
    assert schemas["RoomCreate"]["properties"]["desks"]["type"] == "integer"
    assert {"kind", "desks"} <= set(schemas["Room"]["properties"])
    assert schemas["ReservationCreate"]["properties"]["desks"]["type"] == "integer"
    assert {"desks", "blocked_until"} <= set(schemas["Reservation"]["properties"])
    assert "room" in schemas["ClosureCreate"]["properties"] and "room_id" in schemas["Closure"]["properties"]
