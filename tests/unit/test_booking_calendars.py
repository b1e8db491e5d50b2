"""iCalendar feeds: public per room and per site, private per organisation behind a rotatable token."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import vobject
from icalendar import Calendar

from services.booking.calendars import feed
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


# The two clock changes of 2027 in Paris: 02:15 happens twice on 31 October (`fold` says which),
# and 02:00-03:00 does not exist on 28 March.
SECOND_0215 = datetime(2027, 10, 31, 2, 15, fold=1, tzinfo=PARIS)
FIRST_0215 = datetime(2027, 10, 31, 2, 15, fold=0, tzinfo=PARIS)
BEFORE_MARCH_CHANGE = datetime(2027, 3, 28, 1, 30, tzinfo=PARIS)
AFTER_MARCH_CHANGE = datetime(2027, 3, 28, 3, 30, tzinfo=PARIS)


def instants(body: bytes) -> dict[str, tuple[datetime, datetime]]:
    """UID -> (start, end) as read by `icalendar`, checked against `vobject`, a parser of its own."""
    read = {str(e["UID"]): (e["DTSTART"].dt, e["DTEND"].dt) for e in events_of(body)}
    other = {e.uid.value: (e.dtstart.value, e.dtend.value) for e in vobject.readOne(body.decode()).vevent_list}
    assert other == read
    for start, end in read.values():
        assert start.utcoffset() == end.utcoffset() == timedelta(0)
    return read


def in_utc(spans: dict) -> dict:
    """Python never finds a time of the repeated hour equal to one of another zone (PEP 495): compare in UTC."""
    return {key: tuple(moment.astimezone(timezone.utc) for moment in span) for key, span in spans.items()}


def reservation(id_, starts_at, ends_at):
    return SimpleNamespace(id=id_, site_id="site-1", room_id="room-1", starts_at=starts_at, ends_at=ends_at,
                           updated_at=starts_at, title="Nuit du changement d'heure", status="confirmed")


def test_feeds_write_utc_instants_that_both_parsers_read_back_unchanged_at_both_clock_changes():
    assert FIRST_0215.astimezone(timezone.utc) + timedelta(hours=1) == SECOND_0215.astimezone(timezone.utc)
    stored = {
        "second-0215@veilleuse": (SECOND_0215, SECOND_0215 + timedelta(hours=1)),
        "first-0215@veilleuse": (FIRST_0215, FIRST_0215 + timedelta(minutes=30)),
        "march@veilleuse": (BEFORE_MARCH_CHANGE, AFTER_MARCH_CHANGE),
    }
    site = SimpleNamespace(name="La Coroutine", timezone="Europe/Paris")
    body = feed("Salle", [reservation(uid.split("@")[0], *span) for uid, span in stored.items()],
                {"room-1": SimpleNamespace(name="Salle de réunion")}, {"site-1": site})
    assert instants(body) == in_utc(stored)
    text = body.decode()
    assert "TZID" not in text and "VTIMEZONE" not in text
    assert f"DTSTART:{SECOND_0215.astimezone(timezone.utc):%Y%m%dT%H%M%S}Z" in text
    # Across the March change, 01:30 to 03:30 on the wall clock is one real hour.
    assert instants(body)["march@veilleuse"][1] - instants(body)["march@veilleuse"][0] == timedelta(hours=1)


def test_a_reservation_in_the_repeated_hour_and_one_across_the_march_change_read_right_from_the_feed(client, db):
    with db.transaction() as session:
        HANDLERS["platform.site.updated"](session, {"type": "platform.site.updated", "data": {
            **SITE, "version": 2, "opening_hours": {**SITE["opening_hours"],
                                                    "sun": [{"opens": "00:00", "closes": "12:00"}]}}})
    client.application.config["CLOCK"] = lambda: datetime(2027, 3, 1, 12, 0, tzinfo=PARIS)
    client.patch("/rooms/room-1", json={"horizon_days": 400}, headers=VEILLEUR)
    booked = {}
    for starts, ends in ((SECOND_0215, SECOND_0215 + timedelta(hours=1)), (BEFORE_MARCH_CHANGE, AFTER_MARCH_CHANGE)):
        response = client.post("/reservations", headers=NEIGHBOUR, json={
            "room": "room-1", "starts_at": starts.isoformat(), "ends_at": ends.isoformat(), "attendees": 3,
            "title": "Nuit du changement d'heure", "public": True})
        assert response.status_code == 201, response.json
        got = response.json
        assert in_utc({"api": (datetime.fromisoformat(got["starts_at"]), datetime.fromisoformat(got["ends_at"]))}) \
            == in_utc({"api": (starts, ends)})
        booked[f"{got['id']}@veilleuse"] = (starts, ends)
    for path in ("/calendars/sites/la-coroutine.ics", "/calendars/rooms/room-1.ics"):
        assert instants(client.get(path).data) == in_utc(booked), path


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
