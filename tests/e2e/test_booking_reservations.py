"""End to end through the gateway: an association books the meeting room, a veilleur confirms, the bus tells."""
from __future__ import annotations

import time
from datetime import date

import requests
from icalendar import Calendar

from shared.bus.tail import Tap
from tests.support.platform_time import open_day, paris, weekday_ahead


def bookable_day(system, weekday: int, weeks: int, starts: str, ends: str) -> date:
    """That weekday `weeks` weeks ahead (each test its own, so they never overlap), or the first day after it
    that La Coroutine's opening hours hold `starts`-`ends`."""
    sites = requests.get(system.url("/api/sites"), timeout=10).json()
    hours = next(site for site in sites if site["slug"] == "la-coroutine")["opening_hours"]
    return open_day(hours, weekday_ahead(weekday, weeks), starts, ends)


def at(day: date, hour: int, minute: int = 0) -> str:
    return paris(day, hour, minute).isoformat()


def meeting_room(system) -> dict:
    rooms = requests.get(system.url("/api/booking/rooms"), params={"site": "la-coroutine"}, timeout=10).json()
    return next(room for room in rooms if room["name"] == "Salle de réunion")


def test_an_association_quotes_and_requests_the_meeting_room_and_a_veilleur_confirms(system):
    tap = Tap(system.amqp_url, ["booking.#"])
    try:
        room = meeting_room(system)
        asso = system.auth("asso@coroutine.test")
        day = bookable_day(system, 1, 1, "14:00", "17:00")
        span = {"starts_at": at(day, 14), "ends_at": at(day, 17)}
        quote = requests.get(system.url("/api/booking/quote"), params={"room": room["id"], **span},
                             headers=asso, timeout=10)
        assert quote.status_code == 200, quote.text
        assert quote.json()["rate_kind"] == "association" and quote.json()["total_cents"] == 0
        assert quote.json()["money_box"] is True and quote.json()["needs_approval"] is True
        requested = requests.post(system.url("/api/booking/reservations"), headers=asso, timeout=10, json={
            "room": room["id"], **span, "attendees": 8, "title": "Collectif revenu de base", "public": True})
        assert requested.status_code == 201, requested.text
        reservation = requested.json()
        assert reservation["status"] == "requested" and reservation["price_cents"] == quote.json()["total_cents"]
        veilleur = system.auth("veilleur@coroutine.test")
        waiting = requests.get(system.url("/api/booking/reservations"), params={"status": "requested"},
                               headers=veilleur, timeout=10).json()
        assert reservation["id"] in [r["id"] for r in waiting]
        confirmed = requests.post(system.url(f"/api/booking/reservations/{reservation['id']}/confirm"),
                                  headers=veilleur, timeout=10)
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
        events = tap.wait_for(lambda e: e.get("subject") == reservation["id"], count=2, timeout=20)
        assert [e["type"] for e in events] == ["booking.reservation.requested", "booking.reservation.confirmed"]
        data = events[0]["data"]
        assert data["room_id"] == room["id"] and data["site_id"] == room["site_id"] and data["attendees"] == 8
        assert data["title"] == "Collectif revenu de base"
        assert "asso@coroutine.test" not in str(events) and "Dominique" not in str(events)
        feed = requests.get(system.url("/api/booking/calendars/sites/la-coroutine.ics"), timeout=10)
        assert feed.headers["Content-Type"].startswith("text/calendar")
        summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")]
        assert "Collectif revenu de base" in summaries
        assert "coroutine.test" not in feed.text and "Dominique" not in feed.text
    finally:
        tap.close()


def test_an_overlapping_request_through_the_gateway_is_a_409_naming_only_the_span(system):
    room = meeting_room(system)
    day = bookable_day(system, 2, 2, "10:00", "12:00")
    body = {"room": room["id"], "starts_at": at(day, 10), "ends_at": at(day, 12), "attendees": 4}
    first = requests.post(system.url("/api/booking/reservations"), json=body,
                          headers=system.auth("voisin@coroutine.test"), timeout=10)
    assert first.status_code == 201, first.text
    second = requests.post(system.url("/api/booking/reservations"), json={**body, "starts_at": at(day, 11)},
                           headers=system.auth("asso@coroutine.test"), timeout=10)
    assert second.status_code == 409
    assert second.headers["Content-Type"].startswith("application/problem+json")
    problem = second.json()
    assert problem["rule"] == "overlap" and problem["conflict"]["starts_at"] == at(day, 10)
    assert "voisin" not in second.text and "Sam" not in second.text


def test_an_erased_account_leaves_its_reservation_in_place_without_personal_fields(system):
    created = requests.post(system.url("/api/accounts"), json={
        "email": "ephemere@example.test", "password": "un mot de passe long", "display_name": "Éphémère"},
        timeout=10)
    assert created.status_code == 201, created.text
    headers = {"Authorization": f"Bearer {system.token('ephemere@example.test', 'un mot de passe long')}"}
    room = meeting_room(system)
    day = bookable_day(system, 3, 3, "09:00", "10:00")
    booked = requests.post(system.url("/api/booking/reservations"), headers=headers, timeout=10, json={
        "room": room["id"], "starts_at": at(day, 9), "ends_at": at(day, 10), "attendees": 2,
        "title": "Rendez-vous d'Éphémère"})
    assert booked.status_code == 201, booked.text
    assert requests.delete(system.url("/api/accounts/me"), headers=headers, timeout=10).status_code == 204
    veilleur = system.auth("veilleur@coroutine.test")
    path = system.url(f"/api/booking/reservations/{booked.json()['id']}")
    deadline = time.monotonic() + 20
    seen = requests.get(path, headers=veilleur, timeout=10).json()
    while seen["requester_id"] is not None and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = requests.get(path, headers=veilleur, timeout=10).json()
    assert seen["requester_id"] is None and seen["title"] is None
    assert seen["status"] == "confirmed" and seen["starts_at"] == booked.json()["starts_at"]
