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
    return sections


def staff_sections(site: dict) -> list[dict]:
    """Parts of the veilleur's dashboard from other services, each its own template."""
    from gateway.web.booking import rooms_by_id, waiting_for_approval

    return [{"template": "booking/approvals.html", "reservations": waiting_for_approval(site["slug"]),
             "rooms": rooms_by_id()}]
