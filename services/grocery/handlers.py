"""Handlers of the events the grocery service consumes; each is idempotent."""
from services.grocery.models import Site
from shared.sites import site_handlers

HANDLERS = {
    **site_handlers(Site),
}
