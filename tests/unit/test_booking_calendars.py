"""iCalendar feeds: public per room and per site, private per organisation behind a rotatable token."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar

from services.booking.handlers import HANDLERS
from tests.unit.test_booking_reservations import (  # noqa: F401
    ASSO,
    NEIGHBOUR,
    OTHER,
    PARIS,
    SITE,
    VEILLEUR,
    at,
    book,
    client,
    db,
    monday,
)


def events_of(body: bytes):
    return [c for c in Calendar.from_ical(body).walk("VEVENT")]


def test_the_site_feed_parses_and_holds_only_confirmed_public_reservations_without_personal_data(client):
    public = book(client, headers=NEIGHBOUR, public=True, title="Soirée jeux de société").json
    book(client, headers=NEIGHBOUR, day=monday(2), public=False, title="Rendez-vous de Sam")
    book(client, headers=ASSO, day=monday(3), public=True, title="Pas encore confirmé")
    response = client.get("/calendars/sites/la-coroutine.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    events = events_of(response.data)
    assert [str(e["SUMMARY"]) for e in events] == ["Soirée jeux de société"]
    assert str(events[0]["UID"]) == f"{public['id']}@veilleuse"
    assert "Salle de réunion, La Coroutine" == str(events[0]["LOCATION"])
    text = response.data.decode()
    assert "@" not in text.replace("@veilleuse", "") and "voisin-1" not in text and "Sam" not in text
    room_feed = client.get("/calendars/rooms/room-1.ics")
    assert [str(e["SUMMARY"]) for e in events_of(room_feed.data)] == ["Soirée jeux de société"]
    assert client.get("/calendars/sites/nowhere.ics").status_code == 404


def test_a_reservation_across_the_october_change_has_the_right_local_times(client, db, clock):
    sunday = date(2027, 10, 31)  # the last Sunday of October 2027: CEST -> CET at 03:00
    clock.move_to(datetime(2027, 9, 1, 10, 0, tzinfo=PARIS))
    with db.transaction() as session:
        HANDLERS["platform.site.updated"](session, {"type": "platform.site.updated", "data": {
            **SITE, "version": 2, "opening_hours": {**SITE["opening_hours"],
                                                    "sun": [{"opens": "00:00", "closes": "12:00"}]}}})
    client.patch("/rooms/room-1", json={"horizon_days": 90}, headers=VEILLEUR)
    response = book(client, headers=NEIGHBOUR, day=sunday, start="01:00", end="05:00", public=True,
                    title="Nuit du changement d'heure")
    assert response.status_code == 201, response.json
    reservation = response.json
    # 01:00 is summer time (+02:00), 05:00 winter time (+01:00): five real hours.
    starts = datetime.fromisoformat(reservation["starts_at"])
    ends = datetime.fromisoformat(reservation["ends_at"])
    assert ends - starts == timedelta(hours=5)
    assert starts.astimezone(timezone.utc).hour == 23 and ends.astimezone(timezone.utc).hour == 4
    event = events_of(client.get("/calendars/sites/la-coroutine.ics").data)[0]
    dtstart, dtend = event["DTSTART"].dt, event["DTEND"].dt
    assert (dtstart.hour, dtend.hour) == (1, 5)
    assert dtstart.utcoffset() == timedelta(hours=2) and dtend.utcoffset() == timedelta(hours=1)
    assert dtstart == starts and dtend == ends
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert "BEGIN:VTIMEZONE" in client.get("/calendars/sites/la-coroutine.ics").data.decode()


def test_the_private_feed_of_an_organisation_needs_its_rotatable_token(client):
    mine = book(client, headers=ASSO, title="Assemblée générale").json
    book(client, headers=NEIGHBOUR, day=monday(2), title="Pas à nous")
    assert client.post("/calendars/organisations/org-asso/token", headers=OTHER).status_code == 403
    first = client.post("/calendars/organisations/org-asso/token", headers=ASSO)
    assert first.status_code == 201
    token = first.json["token"]
    feed = client.get(first.json["feed"])
    assert feed.status_code == 200
    events = events_of(feed.data)
    assert [str(e["UID"]) for e in events] == [f"{mine['id']}@veilleuse"]
    assert str(events[0]["STATUS"]) == "TENTATIVE"
    assert client.get("/calendars/organisations/org-asso.ics", query_string={"token": "guess"}).status_code == 404
    assert client.get("/calendars/organisations/org-asso.ics").status_code == 404
    second = client.post("/calendars/organisations/org-asso/token", headers=VEILLEUR).json["token"]
    assert second != token
    assert client.get("/calendars/organisations/org-asso.ics", query_string={"token": token}).status_code == 404
    assert client.get("/calendars/organisations/org-asso.ics", query_string={"token": second}).status_code == 200
