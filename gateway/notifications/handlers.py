"""The notifier's queue `gateway.notifications`: each event is checked and recorded to be decided once."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy.orm import Session

from gateway.notifications import service
from gateway.notifications.deciding import record_decision
from shared.bus.contracts import reads

ID = fields.String(required=True, validate=lambda value: 0 < len(value) <= 80)


class _Data(Schema):
    class Meta:
        unknown = EXCLUDE


@reads("booking.reservation.requested", "booking.reservation.confirmed", "booking.reservation.declined",
       "booking.reservation.cancelled")
class ReservationData(_Data):
    reservation_id = ID
    site_id = ID


@reads("relay.distribution.moved", "relay.distribution.cancelled", "relay.distribution.unstaffed")
class DistributionData(_Data):
    distribution_id = ID
    site_id = ID


@reads("relay.basket.absence_declared")
class AbsenceData(_Data):
    basket_id = ID
    distribution_id = ID
    site_id = ID
    account_id = ID
    distribution_date = fields.String(required=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    basket_kind = fields.String(load_default="")
    quantity = fields.Integer(load_default=1)


SCHEMAS = {
    "booking.reservation.requested": ReservationData, "booking.reservation.confirmed": ReservationData,
    "booking.reservation.declined": ReservationData, "booking.reservation.cancelled": ReservationData,
    "relay.distribution.moved": DistributionData, "relay.distribution.cancelled": DistributionData,
    "relay.distribution.unstaffed": DistributionData, "relay.basket.absence_declared": AbsenceData,
}


def on_event(session: Session, event: dict) -> None:
    """Invalid data dead-letters the message (ValidationError); the event's own data is kept, it has no
    personal data, so that deciding later needs nothing more from the bus."""
    SCHEMAS[event["type"]]().load(event["data"])
    record_decision(session, event["id"], event["type"], event["data"], service.clock(),
                    subject=event.get("subject"))


HANDLERS = {type_: on_event for type_ in SCHEMAS}
