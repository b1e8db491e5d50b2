"""RFC 5545 feeds of reservations, every instant written in UTC (`...Z`).

A local time with a TZID is ambiguous in the hour repeated when clocks go back (02:15 on the last
Sunday of October happens twice in Paris), and calendars read it as the first one: an hour early
for a reservation made in the second. An instant in UTC has one reading; each calendar shows it in
its own user's time zone.
"""
from __future__ import annotations

from datetime import timezone

from icalendar import Calendar, Event

PRODID = "-//Veilleuse//booking//FR"
UNTITLED = "Réservé"


def feed(name: str, reservations, rooms: dict, sites: dict, with_titles: bool = True) -> bytes:
    """One VEVENT per reservation: times, room and site only; never the booker."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for reservation in reservations:
        site = sites[reservation.site_id]
        room = rooms[reservation.room_id]
        event = Event()
        event.add("uid", f"{reservation.id}@veilleuse")
        event.add("dtstamp", reservation.updated_at.astimezone(timezone.utc))
        event.add("dtstart", reservation.starts_at.astimezone(timezone.utc))
        event.add("dtend", reservation.ends_at.astimezone(timezone.utc))
        event.add("summary", (reservation.title if with_titles and reservation.title else UNTITLED))
        event.add("location", f"{room.name}, {site.name}")
        event.add("status", "CONFIRMED" if reservation.status == "confirmed" else "TENTATIVE")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
