"""What the gateway's notifier reads to tell a requester about their reservation (internal, not in the API)."""
from __future__ import annotations

from flask import Blueprint

from services.booking.models import Reservation, Room
from shared.internal import PREFIX, require_notifier
from shared.problems import not_found
from shared.web import database

internal = Blueprint("booking-internal", __name__, url_prefix=PREFIX)


def reservation_for_notifier(session, reservation_id: str) -> dict:
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise not_found("Reservation")
    room = session.get(Room, reservation.room_id)
    return {"id": reservation.id, "requester_id": reservation.requester_id, "status": reservation.status,
            "decline_reason": reservation.decline_reason, "room_id": reservation.room_id,
            "room_name": room.name if room else "", "site_id": reservation.site_id,
            "series_id": reservation.series_id, "starts_at": reservation.starts_at.isoformat(),
            "ends_at": reservation.ends_at.isoformat(), "attendees": reservation.attendees,
            "title": reservation.title, "public": reservation.public,
            "updated_at": reservation.updated_at.isoformat()}


@internal.get("/reservations/<reservation_id>")
def reservation(reservation_id: str):
    require_notifier()
    with database().transaction() as session:
        return reservation_for_notifier(session, reservation_id)
