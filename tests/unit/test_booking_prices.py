"""Prices: the cheapest mix of hour, half-day and day rates per organisation kind, and quotes."""
from __future__ import annotations

import pytest

from services.booking.pricing import cheapest
from services.booking.service import DEFAULT_RATES
from tests.unit.test_booking_reservations import ASSO, COMPANY, at, client, db, monday  # noqa: F401

PAID = DEFAULT_RATES["company"]


@pytest.mark.parametrize("minutes, total, lines", [
    (60, 200, [("hour", 1)]),
    (61, 400, [("hour", 2)]),
    (150, 500, [("half_day", 1)]),          # 3 x 2 € costs more than a 5 € half-day
    (240, 500, [("half_day", 1)]),
    (300, 700, [("half_day", 1), ("hour", 1)]),
    (420, 1000, [("day", 1)]),              # 5 € + 3 x 2 € = 11 € > a 10 € day
    (600, 1000, [("day", 1)]),
])
def test_the_cheapest_combination_is_chosen(minutes, total, lines):
    price = cheapest(minutes, PAID)
    assert price["total_cents"] == total
    assert [(line["unit"], line["quantity"]) for line in price["lines"]] == lines
    assert sum(line["cents"] for line in price["lines"]) == total


def test_a_free_rate_costs_nothing_and_says_money_box():
    price = cheapest(600, DEFAULT_RATES["association"])
    assert price["total_cents"] == 0 and price["money_box"] is True


@pytest.mark.parametrize("kind, hours, expected", [
    ("association", ("10:00", "11:00"), 0),
    ("association", ("10:00", "13:00"), 0),
    ("association", ("09:00", "19:00"), 0),
    ("company", ("10:00", "11:00"), 200),
    ("company", ("10:00", "13:00"), 500),
    ("company", ("09:00", "19:00"), 1000),
    ("public_body", ("10:00", "11:00"), 200),
    ("public_body", ("10:00", "13:00"), 500),
    ("public_body", ("09:00", "19:00"), 1000),
])
def test_quotes_for_an_association_a_company_and_a_public_body(client, kind, hours, expected):
    day = monday()
    response = client.get("/quote", query_string={"room": "room-1", "starts_at": at(day, hours[0]),
                                                  "ends_at": at(day, hours[1]), "organisation_kind": kind})
    assert response.status_code == 200, response.json
    quote = response.json
    assert quote["total_cents"] == expected and quote["currency"] == "EUR" and quote["rate_kind"] == kind
    assert quote["money_box"] is (kind == "association")
    assert quote["needs_approval"] is True


def test_a_quote_uses_the_callers_organisation_kind_and_matches_the_reservation(client):
    day = monday()
    query = {"room": "room-1", "starts_at": at(day, "10:00"), "ends_at": at(day, "15:00")}
    quote = client.get("/quote", query_string=query, headers=COMPANY).json
    assert quote["rate_kind"] == "company" and quote["total_cents"] == 700
    anonymous = client.get("/quote", query_string=query).json
    assert anonymous["rate_kind"] == "individual" and anonymous["needs_approval"] is False
    booked = client.post("/reservations", headers=COMPANY, json={
        "room": "room-1", "starts_at": query["starts_at"], "ends_at": query["ends_at"], "attendees": 3}).json
    assert booked["price_cents"] == quote["total_cents"]
    assert booked["price_breakdown"] == quote["lines"]


def test_a_bad_quote_request_names_the_field(client):
    day = monday()
    response = client.get("/quote", query_string={"room": "room-1", "starts_at": at(day, "10:00"),
                                                  "ends_at": at(day, "09:00")}, headers=ASSO)
    assert response.status_code == 422 and "ends_at" in response.json["errors"]
    missing = client.get("/quote", query_string={"room": "room-1", "organisation_kind": "club"})
    assert missing.status_code == 422
    assert {"starts_at", "ends_at", "organisation_kind"} <= set(missing.json["errors"])
