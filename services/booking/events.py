"""Event types the booking service publishes and consumes."""
from marshmallow import EXCLUDE, Schema, fields

from shared.sites import SITE_EVENTS

SOURCE = "booking"
ROOM_CREATED = "booking.room.created"
ROOM_UPDATED = "booking.room.updated"
ROOM_RETIRED = "booking.room.retired"
RESERVATION_REQUESTED = "booking.reservation.requested"
RESERVATION_CONFIRMED = "booking.reservation.confirmed"
RESERVATION_DECLINED = "booking.reservation.declined"
RESERVATION_CANCELLED = "booking.reservation.cancelled"

ACCOUNT_ERASED = "identity.account.erased"

PUBLISHED = (ROOM_CREATED, ROOM_UPDATED, ROOM_RETIRED, RESERVATION_REQUESTED, RESERVATION_CONFIRMED,
             RESERVATION_DECLINED, RESERVATION_CANCELLED)
CONSUMED = (*SITE_EVENTS, ACCOUNT_ERASED)


class AccountErasedData(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.String(required=True, validate=lambda value: 0 < len(value) <= 80)
