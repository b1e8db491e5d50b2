"""Handlers of the events the relay service consumes; each is idempotent."""
from services.relay.models import Site
from shared.sites import site_handlers

HANDLERS = {
    **site_handlers(Site),
}
