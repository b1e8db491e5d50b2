"""Use cases of the booking service; no Flask here."""
from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.booking import events
from services.booking.models import Room, Site
from shared.bus import record_event
from shared.events import utcnow
from shared.problems import Problem, invalid, not_found

DEFAULT_RATES = {
    # Associations and citizen groups: free, a gift to the money box is welcome.
    "association": {"hour": 0, "half_day": 0, "day": 0, "money_box": True},
    "citizen_group": {"hour": 0, "half_day": 0, "day": 0, "money_box": True},
    "individual": {"hour": 200, "half_day": 500, "day": 1000, "money_box": False},
    "public_body": {"hour": 200, "half_day": 500, "day": 1000, "money_box": False},
    "company": {"hour": 200, "half_day": 500, "day": 1000, "money_box": False},
}


def find_site(session: Session, site_ref: str) -> Site | None:
    return session.scalars(select(Site).where(or_(Site.id == site_ref, Site.slug == site_ref))).first()


def room_event_data(room: Room) -> dict:
    return {
        "room_id": room.id, "site_id": room.site_id, "name": room.name, "capacity": room.capacity,
        "equipment": list(room.equipment), "accessibility": room.accessibility,
        "currency": room.currency, "rates": room.rates,
    }


def create_room(session: Session, site: str, name: str, capacity: int, equipment=(),
                accessibility: str = "", currency: str = "EUR", rates: dict | None = None,
                room_id: str | None = None) -> Room:
    found = find_site(session, site)
    if found is None:
        raise invalid("site", f"no site {site!r} is known here", title="Unknown site")
    now = utcnow()
    room = Room(
        id=room_id or str(uuid.uuid4()), site_id=found.id, name=name, capacity=capacity,
        equipment=list(equipment), accessibility=accessibility, currency=currency,
        rates={**DEFAULT_RATES, **(rates or {})}, created_at=now, updated_at=now,
    )
    session.add(room)
    session.flush()
    record_event(session, events.SOURCE, events.ROOM_CREATED, room_event_data(room), subject=room.id)
    return room


def get_room(session: Session, room_id: str) -> Room:
    room = session.get(Room, room_id)
    if room is None:
        raise not_found("Room")
    return room


def list_rooms(session: Session, site: str | None = None, include_retired: bool = False) -> list[Room]:
    query = select(Room).order_by(Room.name)
    if site is not None:
        found = find_site(session, site)
        if found is None:
            raise invalid("site", f"no site {site!r} is known here", title="Unknown site")
        query = query.where(Room.site_id == found.id)
    if not include_retired:
        query = query.where(Room.retired_at.is_(None))
    return list(session.scalars(query))


def update_room(session: Session, room_id: str, changes: dict) -> Room:
    room = get_room(session, room_id)
    if room.retired_at:
        raise Problem(409, "Room retired", "A retired room cannot be changed.", slug="room-retired")
    for key, value in changes.items():
        if key == "rates":
            value = {**room.rates, **value}
        setattr(room, key, value)
    room.updated_at = utcnow()
    session.flush()
    record_event(session, events.SOURCE, events.ROOM_UPDATED, room_event_data(room), subject=room.id)
    return room


def retire_room(session: Session, room_id: str) -> Room:
    room = get_room(session, room_id)
    if room.retired_at:
        raise Problem(409, "Room retired", "This room is already retired.", slug="room-retired")
    room.retired_at = room.updated_at = utcnow()
    record_event(session, events.SOURCE, events.ROOM_RETIRED,
                 {"room_id": room.id, "site_id": room.site_id}, subject=room.id)
    return room
