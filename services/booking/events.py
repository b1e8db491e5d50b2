"""Event types the booking service publishes and consumes."""
from shared.sites import SITE_EVENTS

SOURCE = "booking"
ROOM_CREATED = "booking.room.created"
ROOM_UPDATED = "booking.room.updated"
ROOM_RETIRED = "booking.room.retired"

PUBLISHED = (ROOM_CREATED, ROOM_UPDATED, ROOM_RETIRED)
CONSUMED = SITE_EVENTS
