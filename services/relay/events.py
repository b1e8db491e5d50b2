"""Event types the relay service publishes and consumes."""
from shared.sites import SITE_EVENTS

SOURCE = "relay"
PUBLISHED: tuple[str, ...] = ()
CONSUMED = SITE_EVENTS
