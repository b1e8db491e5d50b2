"""Every input gets a clear answer: a 4xx problem naming what is wrong, never a 500 or a silent change."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from marshmallow import Schema, ValidationError

import gateway
from gateway import service as gateway_service
from services.booking import create_app as booking_app
from services.housing import create_app as housing_app
from shared.fields import Integer
from tests.conftest import app_for, identity_header, settings_for
from tests.unit.test_booking_reservations import (  # noqa: F401
    NEIGHBOUR,
    PARIS,
    VEILLEUR,
    book,
    db,  # noqa: F401
    event_bodies,
)
from tests.unit.test_booking_reservations import client as booking  # noqa: F401
from tests.unit.test_housing_api import offer_body, request_body
from tests.unit.test_relay_api import client as relay  # noqa: F401
from tests.unit.test_relay_api import make_contract

PROBLEM = "application/problem+json"
DEEP = '{"title":' + "[" * 1000 + "]" * 1000 + "}"
NEWCOMER = identity_header("newcomer-1")
# Far from any real "now": the answers below depend on the clock the test sets, and on nothing else.
NOW = datetime(2031, 3, 10, 12, 0, tzinfo=timezone.utc)


def is_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["request_id"] == response.headers["X-Request-Id"]
    for field in fields:
        assert field in body.get("errors", {}), body
    return body


@pytest.fixture
def housing(sqlite_database):
    app = app_for(housing_app, "housing", sqlite_database("housing"))
    app.config["CLOCK"] = lambda: NOW
    return app.test_client()


@pytest.fixture
def gateway_app(sqlite_database):
    db = sqlite_database("gateway")
    with db.transaction() as session:
        gateway_service.register_account(session, "sam@example.test", "sam password 12", "Sam")
    return app_for(gateway.create_app, "gateway", db)


def signed_in(client) -> dict:
    response = client.post("/api/auth/token", json={"email": "sam@example.test", "password": "sam password 12"})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


# -- deep nesting, lone surrogates, NUL ----------------------------------------------------------
def test_json_nested_a_thousand_levels_deep_is_a_400_naming_the_body_on_booking_relay_and_sign_in(
        booking, relay, gateway_app):  # noqa: F811
    assert len(DEEP) < 2100
    for client, path, headers in ((booking, "/reservations", NEIGHBOUR), (relay, "/producers", VEILLEUR),
                                  (gateway_app.test_client(), "/api/auth/token", {})):
        response = client.post(path, data=DEEP, content_type="application/json", headers=headers)
        body = is_problem(response, 400, "body")
        assert body["title"] == "Body nested too deeply", path


@pytest.mark.parametrize("raw, field", [('{"\\ud800": 1}', "body"), ('{"title": "AG \\udfff"}', "title")])
def test_a_lone_surrogate_is_a_422_problem_with_the_request_id(booking, raw, field):  # noqa: F811
    response = booking.post("/reservations", data=raw, content_type="application/json", headers=NEIGHBOUR)
    body = is_problem(response, 422, field)
    assert "surrogate" in body["errors"][field][0]


def test_a_nul_character_in_a_header_is_a_400_problem_naming_the_header(booking):  # noqa: F811
    response = booking.post("/reservations", json={}, headers={**NEIGHBOUR, "Idempotency-Key": "a\x00b"})
    is_problem(response, 400, "Idempotency-Key")


def test_nan_infinity_and_huge_numbers_are_a_400_not_a_crash(booking):  # noqa: F811
    for raw in ('{"attendees": NaN}', '{"attendees": 1e999}', '{"attendees": ' + "9" * 5000 + "}"):
        is_problem(booking.post("/reservations", data=raw, content_type="application/json", headers=NEIGHBOUR),
                   400, "body")
    too_big = book(booking, headers=NEIGHBOUR, attendees=2**70)
    is_problem(too_big, 422, "attendees")


# -- integers are strict ---------------------------------------------------------------------------
@pytest.mark.parametrize("attendees", [2.5, 2.0, "2", True])
def test_attendees_that_are_not_a_whole_number_are_refused_not_truncated(booking, attendees):  # noqa: F811
    is_problem(book(booking, headers=NEIGHBOUR, attendees=attendees), 422, "attendees")
    assert booking.get("/reservations", headers=NEIGHBOUR).get_json() == []


def test_a_relay_quantity_of_one_and_a_half_is_refused(relay):  # noqa: F811
    contract = make_contract(relay)
    response = relay.post(f"/contracts/{contract['id']}/subscriptions", headers=NEIGHBOUR,
                          json={"basket_kind": "small", "quantity": 1.5})
    is_problem(response, 422, "quantity")


def test_housing_cents_with_a_fraction_are_refused_not_rounded_down(housing):
    arrival = (NOW.date() + timedelta(days=20)).isoformat()
    request = housing.post("/requests", headers=NEWCOMER,
                           json=request_body(arrival_date=arrival, max_budget_cents=60000.5))
    is_problem(request, 422, "max_budget_cents")
    offer = housing.post("/offers", headers=NEWCOMER, json=offer_body(available_from=arrival, rent_cents=40000.7))
    is_problem(offer, 422, "rent_cents")


def test_the_strict_integer_reads_digits_from_a_query_string_and_nothing_else():
    class Body(Schema):
        n = Integer()

    class Query(Schema):
        n = Integer(text=True)

    assert Body().load({"n": 12}) == {"n": 12} and Query().load({"n": "-12"}) == {"n": -12}
    for value in (2.5, 2.0, "2", True, None):
        with pytest.raises(ValidationError):
            Body().load({"n": value})
    for value in ("2.5", " 2", "+2", "1e3", "٣", "99999999999999999999"):
        with pytest.raises(ValidationError):
            Query().load({"n": value})


# -- bodies of actions ------------------------------------------------------------------------------
def test_confirm_keeps_its_optional_reason_which_the_requester_sees_and_no_event_carries(
        booking, db):  # noqa: F811
    from tests.unit.test_booking_reservations import ASSO

    reservation = book(booking, headers=ASSO).get_json()
    confirmed = booking.post(f"/reservations/{reservation['id']}/confirm", headers=VEILLEUR,
                             json={"reason": "La clé est au café d'en face."})
    assert confirmed.status_code == 200 and confirmed.get_json()["confirm_reason"] == "La clé est au café d'en face."
    seen = booking.get(f"/reservations/{reservation['id']}", headers=ASSO).get_json()
    assert seen["confirm_reason"] == "La clé est au café d'en face."
    assert "café" not in json.dumps(event_bodies(db, "booking.reservation.confirmed"))
    other = book(booking, headers=ASSO, day=date.fromisoformat(reservation["starts_at"][:10]) + timedelta(days=7))
    without = booking.post(f"/reservations/{other.get_json()['id']}/confirm", headers=VEILLEUR)
    assert without.status_code == 200 and without.get_json()["confirm_reason"] is None


def test_actions_refuse_unknown_fields_in_their_body(booking):  # noqa: F811
    reservation = book(booking, headers=NEIGHBOUR).get_json()
    is_problem(booking.post(f"/reservations/{reservation['id']}/cancel", headers=NEIGHBOUR,
                            json={"colour": "red"}), 422, "colour")
    is_problem(booking.post("/rooms/room-1/retire", headers=VEILLEUR, json={"colour": "red"}), 422, "colour")
    is_problem(booking.post(f"/reservations/{reservation['id']}/confirm", headers=VEILLEUR,
                            json={"reason": "ok", "colour": "red"}), 422, "colour")
    is_problem(booking.post("/rooms/room-1/retire", headers=VEILLEUR, json=[1]), 422, "body")
    assert booking.get("/rooms/room-1").get_json()["status"] == "active"
    # No body at all, or {}, is what an action without one expects.
    assert booking.post(f"/reservations/{reservation['id']}/cancel", headers=NEIGHBOUR, json={}).status_code == 200


def test_an_unknown_query_parameter_is_refused_not_ignored(booking):  # noqa: F811
    is_problem(booking.get("/reservations", headers=VEILLEUR, query_string={"stauts": "requested"}), 422, "stauts")


def test_a_body_that_is_not_json_is_a_415(booking):  # noqa: F811
    response = booking.post("/reservations", data="room=room-1", content_type="application/x-www-form-urlencoded",
                            headers=NEIGHBOUR)
    is_problem(response, 415, "Content-Type")


# -- size ---------------------------------------------------------------------------------------------
def test_a_body_over_the_limit_is_a_413_before_it_is_read(booking):  # noqa: F811
    # Not even JSON: a 413 and not a 400 shows the body was refused unread.
    response = booking.post("/reservations", data=b"x" * 1_000_000, content_type="application/json",
                            headers=NEIGHBOUR)
    is_problem(response, 413, "body")


def test_the_body_limit_is_the_max_body_bytes_setting(sqlite_database, monkeypatch):
    monkeypatch.setenv("MAX_BODY_BYTES", "200")
    db = sqlite_database("booking")
    app = booking_app({"SETTINGS": settings_for("booking", db), "DATABASE": db, "TESTING": True})
    client = app.test_client()
    body = {"room": "room-1", "starts_at": "x", "ends_at": "y", "attendees": 1}
    assert client.post("/reservations", json=body, headers=NEIGHBOUR).status_code == 422
    big = client.post("/reservations", json={**body, "title": "x" * 200}, headers=NEIGHBOUR)
    assert is_problem(big, 413, "body")["detail"].endswith("at most 200 are accepted.")


# -- HTTP semantics -------------------------------------------------------------------------------------
def test_a_method_a_path_does_not_support_is_405_with_allow_listing_only_its_methods(booking,
                                                                                     gateway_app):  # noqa: F811
    put = booking.put("/reservations", headers=NEIGHBOUR, json={})
    is_problem(put, 405)
    assert set(put.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert set(booking.options("/rooms/room-1/retire").headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    client = gateway_app.test_client()
    accounts = client.put("/api/accounts", json={})
    is_problem(accounts, 405)
    assert set(accounts.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert set(client.options("/api/accounts/me").headers["Allow"].split(", ")) == \
        {"GET", "HEAD", "OPTIONS", "PATCH", "DELETE"}
    is_problem(client.get("/api/nowhere/rooms"), 404)


def test_patch_of_my_account_with_no_body_is_a_422(gateway_app):
    client = gateway_app.test_client()
    headers = signed_in(client)
    is_problem(client.patch("/api/accounts/me", headers=headers), 422, "_schema")
    is_problem(client.patch("/api/accounts/me", headers=headers, json={}), 422, "_schema")
    assert client.patch("/api/accounts/me", headers=headers, json={"language": "en"}).status_code == 200


# -- dates that are over ----------------------------------------------------------------------------------
def test_an_offer_whose_availability_ended_is_a_422(housing):
    today = NOW.date()
    ended = offer_body(available_from=(today - timedelta(days=60)).isoformat(),
                       available_until=(today - timedelta(days=1)).isoformat())
    is_problem(housing.post("/offers", headers=NEWCOMER, json=ended), 422, "available_until")
    current = offer_body(available_from=(today - timedelta(days=60)).isoformat(), available_until=today.isoformat())
    created = housing.post("/offers", headers=NEWCOMER, json=current)
    assert created.status_code == 201, created.get_json()
    is_problem(housing.patch(f"/offers/{created.get_json()['id']}", headers=NEWCOMER,
                             json={"available_until": (today - timedelta(days=2)).isoformat()}), 422, "available_until")


def test_a_request_whose_stay_is_over_is_a_422(housing):
    arrived = (NOW.date() - timedelta(days=100)).isoformat()
    over = housing.post("/requests", headers=NEWCOMER, json=request_body(arrival_date=arrived, stay_months=3))
    is_problem(over, 422, "stay_months")
    under_way = housing.post("/requests", headers=NEWCOMER, json=request_body(arrival_date=arrived, stay_months=4))
    assert under_way.status_code == 201, under_way.get_json()
    is_problem(housing.patch(f"/requests/{under_way.get_json()['id']}", headers=NEWCOMER,
                             json={"stay_months": 1}), 422, "stay_months")


def test_a_series_whose_until_is_past_is_a_422_not_a_409(booking):  # noqa: F811
    now = datetime(2031, 3, 10, 12, 0, tzinfo=PARIS)
    booking.application.config["CLOCK"] = lambda: now
    monday = now.date() + timedelta(days=7 - now.weekday())
    body = {"room": "room-1", "starts_at": datetime.combine(monday, datetime.min.time().replace(hour=10),
                                                            tzinfo=PARIS).isoformat(),
            "ends_at": datetime.combine(monday, datetime.min.time().replace(hour=12), tzinfo=PARIS).isoformat(),
            "attendees": 4}
    past = booking.post("/reservation-series", headers=NEIGHBOUR,
                        json={**body, "recurrence": {"frequency": "weekly", "until": "2031-03-01"}})
    assert is_problem(past, 422, "recurrence")["errors"]["recurrence"]["until"]
    fine = booking.post("/reservation-series", headers=NEIGHBOUR,
                        json={**body, "recurrence": {"frequency": "weekly",
                                                     "until": (monday + timedelta(days=14)).isoformat()}})
    assert fine.status_code == 201 and len(fine.get_json()["created"]) == 3
