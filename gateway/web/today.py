"""What happens today at a site, from the services that know: distributions and public bookings."""
from __future__ import annotations

from flask_babel import gettext

from gateway.web.i18n import clock


def todays_sections(site: dict) -> list[dict]:
    """Sections shown on a site's page; a service that does not answer says so in its section."""
    from gateway.web.relay import todays_distributions

    sections = []
    distributions = todays_distributions(site["slug"], site.get("timezone") or "Europe/Paris")
    lines = [gettext("%(start)s to %(end)s: %(producer)s", start=clock(d["starts_at"]), end=clock(d["ends_at"]),
                     producer=d["producer_name"]) for d in (distributions or []) if d["status"] != "cancelled"]
    sections.append({"title": gettext("Today's AMAP distribution"), "lines": lines,
                     "empty": gettext("No AMAP distribution today.") if distributions is not None
                     else gettext("The AMAP relay does not answer right now; try again in a moment.")})
    bookings = todays_public_bookings(site)
    sections.append({"title": gettext("Today's public events"), "lines": bookings or [],
                     "empty": gettext("No public event today.") if bookings is not None
                     else gettext("The booking service does not answer right now; try again in a moment.")})
    return sections


def todays_public_bookings(site: dict, today=None) -> list[str] | None:
    """Today's public reservations of the site, read from its public iCalendar feed (the public API)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from icalendar import Calendar

    from gateway.web import client

    found = client.get(f"/api/booking/calendars/sites/{site['slug']}.ics")
    if not found.ok:
        return None if found.status >= 500 else []
    zone = ZoneInfo(site.get("timezone") or "Europe/Paris")
    today = today or datetime.now(zone).date()
    lines = []
    try:
        events = Calendar.from_ical(found.raw).walk("VEVENT")
    except ValueError:
        return None
    for event in sorted(events, key=lambda e: e.decoded("dtstart")):
        starts, ends = event.decoded("dtstart"), event.decoded("dtend")
        if not isinstance(starts, datetime) or starts.astimezone(zone).date() != today:
            continue
        lines.append(gettext("%(start)s to %(end)s: %(title)s (%(place)s)", start=clock(starts.astimezone(zone)),
                             end=clock(ends.astimezone(zone)), title=str(event.get("summary", "")),
                             place=str(event.get("location", ""))))
    return lines


def staff_sections(site: dict) -> list[dict]:
    """Parts of the veilleur's dashboard from other services, each its own template."""
    from gateway.web.booking import rooms_by_id, waiting_for_approval

    return [{"template": "booking/approvals.html", "reservations": waiting_for_approval(site["slug"]),
             "rooms": rooms_by_id()}]
