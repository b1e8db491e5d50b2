"""RFC 5545 feeds of reservations, with the site's local times and time zone (right across DST)."""
from __future__ import annotations

from icalendar import Calendar, Event

from services.booking.timespans import zone

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
        tz = zone(site)
        event = Event()
        event.add("uid", f"{reservation.id}@veilleuse")
        event.add("dtstamp", reservation.updated_at)
        event.add("dtstart", reservation.starts_at.astimezone(tz))
        event.add("dtend", reservation.ends_at.astimezone(tz))
        event.add("summary", (reservation.title if with_titles and reservation.title else UNTITLED))
        event.add("location", f"{room.name}, {site.name}")
        event.add("status", "CONFIRMED" if reservation.status == "confirmed" else "TENTATIVE")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
