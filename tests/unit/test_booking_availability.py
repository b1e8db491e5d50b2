"""Availability: free/busy of a room or a whole site, and the first free slot."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.booking import service
from tests.unit.test_booking_reservations import NEIGHBOUR, VEILLEUR, at, book, client, db, monday  # noqa: F401


@pytest.fixture
def big_room(db):
    with db.transaction() as session:
        service.create_room(session, "la-coroutine", "Salle d'événements", 40, room_id="room-2")
    return "room-2"


def spans(items):
    return [(item["starts_at"], item["ends_at"]) for item in items]


def same(moment: str, expected: str) -> bool:
    from datetime import datetime

    return datetime.fromisoformat(moment) == datetime.fromisoformat(expected)


def test_free_and_busy_of_a_room_follow_opening_hours_bookings_and_buffers(client):
    client.patch("/rooms/room-1", json={"buffer_minutes": 15}, headers=VEILLEUR)
    day = monday()
    assert book(client, headers=NEIGHBOUR, title="Privé", start="10:00", end="12:00").status_code == 201
    response = client.get("/availability", query_string={"room": "room-1", "from": at(day, "00:00"),
                                                         "to": at(day + timedelta(days=1), "00:00")})
    assert response.status_code == 200, response.json
    room = response.json["rooms"][0]
    busy = room["busy"]
    assert len(busy) == 1 and same(busy[0]["starts_at"], at(day, "10:00"))
    assert same(busy[0]["ends_at"], at(day, "12:15")) and busy[0]["status"] == "confirmed"
    assert "title" not in busy[0] and "requester_id" not in busy[0]
    free = spans(room["free"])
    assert len(free) == 2
    assert same(free[0][0], at(day, "09:00")) and same(free[0][1], at(day, "10:00"))
    assert same(free[1][0], at(day, "12:15")) and same(free[1][1], at(day, "19:00"))


def test_the_availability_of_a_site_lists_every_room_and_its_closures(client, big_room):
    day = monday()
    client.post("/closures", headers=VEILLEUR, json={"site": "la-coroutine", "starts_at": at(day, "14:00"),
                                                     "ends_at": at(day, "16:00"), "reason": "Travaux"})
    result = client.get("/availability", query_string={"site": "la-coroutine", "from": at(day, "00:00"),
                                                       "to": at(day, "23:00")}).json
    assert {r["room_id"] for r in result["rooms"]} == {"room-1", big_room}
    assert same(result["from"], at(day, "00:00")) and result["timezone"] == "Europe/Paris"
    assert len(result["closures"]) == 1
    for room in result["rooms"]:
        assert len(room["free"]) == 2  # 09:00-14:00 and 16:00-19:00


def test_availability_needs_a_room_or_a_site_and_a_short_range(client):
    day = monday()
    neither = client.get("/availability", query_string={"from": at(day, "00:00"), "to": at(day, "23:00")})
    assert neither.status_code == 422 and "room" in neither.json["errors"]
    too_long = client.get("/availability", query_string={"room": "room-1", "from": at(day, "00:00"),
                                                         "to": at(day + timedelta(days=100), "00:00")})
    assert too_long.status_code == 422 and "to" in too_long.json["errors"]


def test_the_first_free_slot_of_a_room_skips_bookings_and_their_buffer(client):
    client.patch("/rooms/room-1", json={"buffer_minutes": 15}, headers=VEILLEUR)
    day = monday()
    book(client, headers=NEIGHBOUR, start="10:00", end="12:00")
    slot = client.get("/availability/first-free", query_string={
        "room": "room-1", "from": at(day, "08:00"), "duration_minutes": 120, "attendees": 4}).json
    assert slot["room_id"] == "room-1"
    assert same(slot["starts_at"], at(day, "12:15")) and same(slot["ends_at"], at(day, "14:15"))
    booked = client.post("/reservations", headers=NEIGHBOUR, json={
        "room": "room-1", "starts_at": slot["starts_at"], "ends_at": slot["ends_at"], "attendees": 4})
    assert booked.status_code == 201


def test_the_first_free_slot_of_a_site_finds_a_room_big_enough(client, big_room):
    day = monday()
    slot = client.get("/availability/first-free", query_string={
        "site": "la-coroutine", "from": at(day, "07:00"), "duration_minutes": 60, "attendees": 25}).json
    assert slot["room_id"] == big_room and same(slot["starts_at"], at(day, "09:00"))
    nobody = client.get("/availability/first-free", query_string={
        "site": "la-coroutine", "duration_minutes": 60, "attendees": 500})
    assert nobody.status_code == 422 and nobody.json["rule"] == "capacity"
