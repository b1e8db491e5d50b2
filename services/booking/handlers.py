"""Handlers of the events the booking service consumes; each is idempotent."""
from services.booking.models import Site
from shared.sites import site_handlers

HANDLERS = {
    **site_handlers(Site),
}
