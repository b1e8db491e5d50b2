"""Event types the grocery service publishes and consumes."""
from shared.sites import SITE_EVENTS

SOURCE = "grocery"
PUBLISHED: tuple[str, ...] = ()
CONSUMED = SITE_EVENTS
