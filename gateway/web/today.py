"""What happens today at a site, from the services that know: distributions and public bookings."""
from __future__ import annotations


def todays_sections(site: dict) -> list[dict]:
    """Sections shown on a site's page; a service that does not answer leaves its section out."""
    return []
