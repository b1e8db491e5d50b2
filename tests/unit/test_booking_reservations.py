"""Reservations: states, rules of the room and the site, prices, events (SQLite, through the HTTP API)."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.booking import create_app, service
from services.booking.handlers import HANDLERS
from services.booking.models import Reservation
from shared.bus.tables import outbox
from tests.conftest import Clock, app_for, identity_header

PARIS = ZoneInfo("Europe/Paris")
SITE = {"site_id": "site-1", "slug": "la-coroutine", "name": "La Coroutine", "timezone": "Europe/Paris",
        "version": 1,
        "opening_hours": {**{d: [{"opens": "09:00", "closes": "19:00"}] for d in ("mon", "tue", "wed", "thu", "fri")},
                          "sat": [{"opens": "10:00", "closes": "18:00"}]}}
ASSO = identity_header("asso-1", ("neighbour",), organisation_kind="association", organisation_id="org-asso")
COMPANY = identity_header("boss-1", ("neighbour",), organisation_kind="company", organisation_id="org-co")
NEIGHBOUR = identity_header("voisin-1", ("neighbour",))
OTHER = identity_header("voisin-2", ("neighbour",))
VEILLEUR = identity_header("veilleur-1", ("veilleur",))


def monday(weeks_ahead: int = 1) -> date:
    today = Clock.today()
    return today + timedelta(days=(0 - today.weekday()) % 7 + 7 * weeks_ahead)


def at(day: date, hhmm: str) -> str:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=PARIS).isoformat()


@pytest.fixture
def db(sqlite_database, clock):
    """The booking database, with the test's clock at CLOCK_START: a booking's rules all look at "now"."""
    database = sqlite_database("booking")
    with database.transaction() as session:
        HANDLERS["platform.site.created"](session, {"type": "platform.site.created", "data": SITE})
        service.create_room(session, "la-coroutine", "Salle de réunion", 10, room_id="room-1")
    return database


@pytest.fixture
def client(db):
    return app_for(create_app, "booking", db).test_client()


def book(client, headers=ASSO, day=None, start="10:00", end="12:00", **extra):
    day = day or monday()
    body = {"room": "room-1", "starts_at": at(day, start), "ends_at": at(day, end), "attendees": 6,
            "title": "Réunion revenu de base", **extra}
    return client.post("/reservations", json=body, headers=headers)


def event_types(db) -> list[str]:
    with db.transaction() as session:
        return [row.type for row in session.execute(select(outbox).order_by(outbox.c.created_at))]


def event_bodies(db, type_: str) -> list[dict]:
    with db.transaction() as session:
        return [json.loads(row.body) for row in session.execute(select(outbox).where(outbox.c.type == type_))]


def test_an_association_request_waits_for_a_veilleur_who_confirms_it(client, db):
    response = book(client)
    assert response.status_code == 201, response.json
    reservation = response.json
    assert reservation["status"] == "requested"
    assert reservation["rate_kind"] == "association" and reservation["price_cents"] == 0
    assert reservation["money_box"] is True
    confirmed = client.post(f"/reservations/{reservation['id']}/confirm", headers=VEILLEUR)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    types = [t for t in event_types(db) if t.startswith("booking.reservation")]
    assert types == ["booking.reservation.requested", "booking.reservation.confirmed"]


def test_a_person_of_the_place_is_confirmed_at_once_and_both_events_are_published(client, db):
    response = book(client, headers=NEIGHBOUR)
    assert response.status_code == 201 and response.json["status"] == "confirmed"
    assert response.json["price_cents"] == 400  # two hours at 2 €, cheaper than a 5 € half-day
    types = [t for t in event_types(db) if t.startswith("booking.reservation")]
    assert types == ["booking.reservation.requested", "booking.reservation.confirmed"]


def test_events_carry_room_site_times_and_public_title_but_no_personal_data(client, db):
    book(client, public=True, title="Atelier ouvert")
    book(client, day=monday(2), title="Réunion privée de Dominique", public=False)
    datas = [e["data"] for e in event_bodies(db, "booking.reservation.requested")]
    public, private = sorted(datas, key=lambda d: d["starts_at"])
    assert public["title"] == "Atelier ouvert" and public["room_id"] == "room-1"
    assert public["site_id"] == "site-1" and public["attendees"] == 6
    assert public["starts_at"].endswith("+00:00")
    assert "title" not in private
    for data in datas:
        assert not {"requester_id", "organisation_id", "email", "name"} & set(data)
        assert "asso-1" not in json.dumps(data)


def test_only_veilleurs_confirm_decline_and_waive(client):
    reservation = book(client).json
    for path, body in (("confirm", None), ("decline", {"reason": "non"}),
                       ("price", {"price_cents": 0, "reason": "x"})):
        response = client.post(f"/reservations/{reservation['id']}/{path}", json=body, headers=ASSO)
        assert response.status_code == 403, path


def test_decline_needs_a_reason_and_frees_the_slot(client):
    reservation = book(client).json
    missing = client.post(f"/reservations/{reservation['id']}/decline", json={}, headers=VEILLEUR)
    assert missing.status_code == 422 and "reason" in missing.json["errors"]
    declined = client.post(f"/reservations/{reservation['id']}/decline",
                           json={"reason": "Hors charte du lieu"}, headers=VEILLEUR)
    assert declined.json["status"] == "declined" and declined.json["decline_reason"] == "Hors charte du lieu"
    assert book(client, headers=NEIGHBOUR).status_code == 201
    again = client.post(f"/reservations/{reservation['id']}/confirm", headers=VEILLEUR)
    assert again.status_code == 409 and again.json["allowed_states"] == ["requested"]


def test_the_requester_or_a_veilleur_cancels_nobody_else(client, db):
    first = book(client).json
    assert client.post(f"/reservations/{first['id']}/cancel", headers=OTHER).status_code == 404
    cancelled = client.post(f"/reservations/{first['id']}/cancel", headers=ASSO)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert client.post(f"/reservations/{first['id']}/cancel", headers=ASSO).status_code == 409
    second = book(client).json
    assert client.post(f"/reservations/{second['id']}/cancel", headers=VEILLEUR).json["status"] == "cancelled"
    assert event_types(db).count("booking.reservation.cancelled") == 2


def test_an_overlap_is_a_409_naming_the_span_and_never_the_other_booker(client):
    assert book(client, start="10:00", end="12:00").status_code == 201
    response = book(client, headers=COMPANY, start="11:00", end="13:00")
    assert response.status_code == 409
    problem = response.json
    assert problem["rule"] == "overlap"
    day = monday()
    assert problem["conflict"] == {"starts_at": at(day, "10:00"), "ends_at": at(day, "12:00"),
                                   "blocked_until": at(day, "12:00")}
    text = json.dumps(problem)
    assert "asso" not in text and "revenu" not in text.lower()
    assert book(client, headers=COMPANY, start="12:00", end="13:00").status_code == 201


def test_the_buffer_keeps_time_free_after_each_booking(client):
    assert client.patch("/rooms/room-1", json={"buffer_minutes": 15}, headers=VEILLEUR).status_code == 200
    assert book(client, start="10:00", end="11:00").status_code == 201
    taken = book(client, headers=COMPANY, start="11:00", end="12:00")
    assert taken.status_code == 409 and taken.json["conflict"]["blocked_until"] == at(monday(), "11:15")
    assert book(client, headers=COMPANY, start="11:15", end="12:00").status_code == 201
    assert book(client, headers=NEIGHBOUR, start="09:00", end="09:50").status_code == 409
    assert book(client, headers=NEIGHBOUR, start="09:00", end="09:45").status_code == 201


def _past():
    yesterday = Clock.today() - timedelta(days=1)
    return {"starts_at": at(yesterday, "10:00"), "ends_at": at(yesterday, "11:00")}


def _sunday():
    sunday = monday() + timedelta(days=6)
    return {"starts_at": at(sunday, "10:00"), "ends_at": at(sunday, "11:00")}


@pytest.mark.parametrize("change, status, rule, field", [
    (lambda: {"ends_at": at(monday(), "09:00")}, 422, "end_after_start", "ends_at"),
    (lambda: {"ends_at": at(monday(), "10:00")}, 422, "end_after_start", "ends_at"),
    (_past, 422, "in_the_past", "starts_at"),
    (lambda: {"starts_at": at(monday(30), "10:00"), "ends_at": at(monday(30), "11:00")}, 422, "horizon",
     "starts_at"),
    (lambda: {"attendees": 11}, 422, "capacity", "attendees"),
    (lambda: {"starts_at": at(monday(), "18:00"), "ends_at": at(monday(), "20:00")}, 422, "opening_hours",
     "starts_at"),
    (_sunday, 422, "opening_hours", "starts_at"),
    (lambda: {"ends_at": at(monday(), "10:15")}, 422, "duration", "ends_at"),
    (lambda: {"room": "no-such-room"}, 422, "unknown_room", "room"),
])
def test_each_broken_rule_is_a_4xx_problem_saying_which(client, change, status, rule, field):
    client.patch("/rooms/room-1", json={"horizon_days": 60}, headers=VEILLEUR)
    day = monday()
    body = {"room": "room-1", "starts_at": at(day, "10:00"), "ends_at": at(day, "12:00"), "attendees": 4,
            **change()}
    response = client.post("/reservations", json=body, headers=ASSO)
    assert response.status_code == status, response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json["rule"] == rule
    assert field in response.json["errors"]


def test_rule_problems_give_the_allowed_values(client):
    client.patch("/rooms/room-1", json={"horizon_days": 60}, headers=VEILLEUR)
    sunday = _sunday()
    hours = client.post("/reservations", json={"room": "room-1", "attendees": 2, **sunday}, headers=ASSO).json
    assert hours["opening_hours"] == [] and "closed all day" in hours["detail"]
    evening = book(client, start="18:00", end="20:00").json
    assert evening["opening_hours"] == ["09:00-19:00"] and evening["timezone"] == "Europe/Paris"
    assert book(client, attendees=40).json["max_attendees"] == 10
    assert book(client, start="10:00", end="10:10").json["min_minutes"] == 30
    far = book(client, day=monday(20)).json
    assert far["horizon_days"] == 60 and "latest_start" in far


def test_a_retired_room_cannot_be_booked(client):
    client.post("/rooms/room-1/retire", headers=VEILLEUR)
    response = book(client)
    assert response.status_code == 422 and response.json["rule"] == "room_retired"


def test_a_closure_blocks_bookings_and_is_managed_by_veilleurs(client):
    day = monday()
    body = {"site": "la-coroutine", "starts_at": at(day, "00:00"), "ends_at": at(day + timedelta(days=1), "00:00"),
            "reason": "Travaux"}
    assert client.post("/closures", json=body, headers=ASSO).status_code == 403
    earlier = book(client, headers=NEIGHBOUR, start="15:00", end="16:00").json
    closure = client.post("/closures", json=body, headers=VEILLEUR)
    assert closure.status_code == 201
    assert closure.json["affected_reservations"] == [earlier["id"]]
    client.post(f"/reservations/{earlier['id']}/cancel", headers=VEILLEUR)
    refused = book(client)
    assert refused.status_code == 422 and refused.json["rule"] == "closure"
    assert refused.json["closure"]["reason"] == "Travaux"
    assert [c["id"] for c in client.get("/closures?site=la-coroutine").json] == [closure.json["id"]]
    assert client.delete(f"/closures/{closure.json['id']}", headers=VEILLEUR).status_code == 204
    assert book(client).status_code == 201


def test_times_without_offset_and_unknown_fields_are_rejected_naming_the_field(client):
    response = client.post("/reservations", headers=ASSO, json={
        "room": "room-1", "starts_at": "2030-01-07T10:00:00", "ends_at": "soon", "attendees": 0, "colour": 1})
    assert response.status_code == 422
    assert {"starts_at", "ends_at", "attendees", "colour"} <= set(response.json["errors"])


def test_requesting_needs_an_identity(client):
    day = monday()
    response = client.post("/reservations", json={"room": "room-1", "starts_at": at(day, "10:00"),
                                                  "ends_at": at(day, "11:00"), "attendees": 2})
    assert response.status_code == 401


def test_reading_a_reservation_shows_personal_fields_only_to_its_people(client):
    private = book(client).json
    assert client.get(f"/reservations/{private['id']}", headers=ASSO).json["requester_id"] == "asso-1"
    assert client.get(f"/reservations/{private['id']}", headers=VEILLEUR).status_code == 200
    assert client.get(f"/reservations/{private['id']}", headers=OTHER).status_code == 404
    public = book(client, headers=NEIGHBOUR, day=monday(2), public=True, title="Soirée jeux").json
    seen = client.get(f"/reservations/{public['id']}")
    assert seen.status_code == 200 and seen.json["title"] == "Soirée jeux"
    assert "requester_id" not in seen.json and "price_cents" not in seen.json


def test_lists_mine_for_everyone_and_the_waiting_ones_for_veilleurs(client):
    asso = book(client).json
    mine_other = book(client, headers=NEIGHBOUR, day=monday(2)).json
    assert [r["id"] for r in client.get("/reservations?mine=true", headers=ASSO).json] == [asso["id"]]
    # A neighbour only ever sees their own, with or without ?mine.
    assert [r["id"] for r in client.get("/reservations", headers=NEIGHBOUR).json] == [mine_other["id"]]
    waiting = client.get("/reservations?status=requested", headers=VEILLEUR).json
    assert [r["id"] for r in waiting] == [asso["id"]]
    assert client.get("/reservations").status_code == 401


def test_a_veilleur_waives_or_reduces_with_a_reason_and_records_a_contribution(client):
    reservation = book(client, headers=COMPANY, start="09:00", end="19:00").json
    assert reservation["list_price_cents"] == 1000 and reservation["price_cents"] == 1000
    raised = client.post(f"/reservations/{reservation['id']}/price", json={"price_cents": 5000, "reason": "x"},
                         headers=VEILLEUR)
    assert raised.status_code == 422 and raised.json["max_price_cents"] == 1000
    no_reason = client.post(f"/reservations/{reservation['id']}/price", json={"price_cents": 0},
                            headers=VEILLEUR)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    waived = client.post(f"/reservations/{reservation['id']}/price",
                         json={"price_cents": 0, "reason": "Atelier solidaire"}, headers=VEILLEUR).json
    assert waived["price_cents"] == 0 and waived["list_price_cents"] == 1000
    assert waived["price_reason"] == "Atelier solidaire"
    given = client.post(f"/reservations/{reservation['id']}/contribution", json={"amount_cents": 300},
                        headers=VEILLEUR).json
    assert given["contribution_cents"] == 300
    negative = client.post(f"/reservations/{reservation['id']}/contribution", json={"amount_cents": -1},
                           headers=VEILLEUR)
    assert negative.status_code == 422


def test_the_price_is_fixed_on_the_reservation_when_rates_change_later(client):
    reservation = book(client, headers=COMPANY, start="10:00", end="11:00").json
    assert reservation["price_cents"] == 200
    new_rate = {"hour": 900, "half_day": 2000, "day": 5000}
    client.patch("/rooms/room-1", json={"rates": {"company": new_rate}}, headers=VEILLEUR)
    assert client.get(f"/reservations/{reservation['id']}", headers=COMPANY).json["price_cents"] == 200


def test_the_room_policy_is_part_of_the_room_and_has_defaults(client):
    room = client.get("/rooms/room-1").json
    assert room["approval_required_for"] == ["association", "citizen_group", "public_body", "company"]
    assert (room["min_duration_minutes"], room["max_duration_minutes"]) == (30, 720)
    assert (room["horizon_days"], room["buffer_minutes"]) == (180, 0)
    bad = client.patch("/rooms/room-1", json={"min_duration_minutes": 600, "max_duration_minutes": 60},
                       headers=VEILLEUR)
    assert bad.status_code == 422 and "min_duration_minutes" in bad.json["errors"]
    client.patch("/rooms/room-1", json={"approval_required_for": ["company"]}, headers=VEILLEUR)
    assert book(client).json["status"] == "confirmed"


def test_the_erasure_of_an_account_keeps_the_slot_and_drops_personal_fields(client, db):
    reservation = book(client, public=True, title="Réunion de Dominique").json
    with db.transaction() as session:
        HANDLERS["identity.account.erased"](session, {"type": "identity.account.erased",
                                                      "data": {"account_id": "asso-1"}})
    with db.transaction() as session:
        row = session.get(Reservation, reservation["id"])
        assert row.requester_id is None and row.title is None and row.erased_at is not None
        assert row.status == "requested"
    assert book(client, headers=COMPANY).status_code == 409


def test_the_worker_consumes_every_event_type_booking_declares():
    from services.booking import events
    from services.booking.worker import QUEUES

    handled = {type_: queue for queue, handlers in QUEUES.items() for type_ in handlers}
    assert set(handled) == set(events.CONSUMED)
    assert handled["identity.account.erased"] == "booking.identity"
    assert handled["platform.site.created"] == "booking.sites"
