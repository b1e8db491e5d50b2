"""Use cases of the booking service; no Flask here."""
from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.booking import events, recurrence
from services.booking.calendars import feed
from services.booking.models import (
    ACTIVE_STATUSES,
    DEFAULT_APPROVAL_FOR,
    CalendarToken,
    Closure,
    Reservation,
    ReservationSeries,
    Room,
    Site,
)
from services.booking.pricing import cheapest, rate_kind
from services.booking.timespans import (
    describe_hours,
    local_day,
    open_spans,
    rfc3339,
    subtract,
    utc,
    within_opening_hours,
    zone,
)
from shared.bus import record_event
from shared.events import utcnow
from shared.identity import Identity
from shared.problems import Problem, get_or_not_found, invalid, not_found

DEFAULT_RATES = {
    # Associations and citizen groups: free, a gift to the money box is welcome.
    "association": {"hour": 0, "half_day": 0, "day": 0, "money_box": True},
    "citizen_group": {"hour": 0, "half_day": 0, "day": 0, "money_box": True},
    "individual": {"hour": 200, "half_day": 500, "day": 1000, "money_box": False},
    "public_body": {"hour": 200, "half_day": 500, "day": 1000, "money_box": False},
    "company": {"hour": 200, "half_day": 500, "day": 1000, "money_box": False},
}
MAX_RANGE_DAYS = 62          # availability and lists look at most this far at once
FIRST_FREE_SEARCH_DAYS = 90  # how far the first free slot is searched
EXCLUSION_VIOLATION = "23P01"


# -- rooms -----------------------------------------------------------------------------------------

def find_site(session: Session, site_ref: str) -> Site | None:
    return session.scalars(select(Site).where(or_(Site.id == site_ref, Site.slug == site_ref))).first()


def require_site(session: Session, site_ref: str, field: str = "site") -> Site:
    found = find_site(session, site_ref)
    if found is None:
        raise invalid(field, f"no site {site_ref!r} is known here", title="Unknown site")
    return found


def room_event_data(room: Room) -> dict:
    return {
        "room_id": room.id, "site_id": room.site_id, "name": room.name, "kind": room.kind, "desks": room.desks,
        "capacity": room.capacity, "equipment": list(room.equipment), "accessibility": room.accessibility,
        "currency": room.currency, "rates": room.rates,
    }


def create_room(session: Session, site: str, name: str, capacity: int, equipment=(),
                accessibility: str = "", currency: str = "EUR", rates: dict | None = None,
                room_id: str | None = None, approval_required_for: list | None = None,
                min_duration_minutes: int = 30, max_duration_minutes: int = 720, horizon_days: int = 180,
                buffer_minutes: int = 0, kind: str = "meeting", desks: int = 0) -> Room:
    found = require_site(session, site)
    _check_durations(min_duration_minutes, max_duration_minutes)
    _check_desks(desks, capacity)
    now = utcnow()
    room = Room(
        id=room_id or str(uuid.uuid4()), site_id=found.id, name=name, capacity=capacity, kind=kind, desks=desks,
        equipment=list(equipment), accessibility=accessibility, currency=currency,
        rates={**DEFAULT_RATES, **(rates or {})}, created_at=now, updated_at=now,
        approval_required_for=list(DEFAULT_APPROVAL_FOR if approval_required_for is None
                                   else approval_required_for),
        min_duration_minutes=min_duration_minutes, max_duration_minutes=max_duration_minutes,
        horizon_days=horizon_days, buffer_minutes=buffer_minutes,
    )
    session.add(room)
    session.flush()
    record_event(session, events.SOURCE, events.ROOM_CREATED, room_event_data(room), subject=room.id)
    return room


def _check_durations(minimum: int, maximum: int) -> None:
    if minimum > maximum:
        raise invalid("min_duration_minutes", f"must not exceed max_duration_minutes ({maximum})")


def _check_desks(desks: int, capacity: int) -> None:
    if desks > capacity:
        raise invalid("desks", f"a desk seats one person: at most the room's capacity ({capacity})")


def get_room(session: Session, room_id: str) -> Room:
    return get_or_not_found(session, Room, room_id, "Room")


def list_rooms(session: Session, site: str | None = None, include_retired: bool = False) -> list[Room]:
    query = select(Room).order_by(Room.name)
    if site is not None:
        query = query.where(Room.site_id == require_site(session, site).id)
    if not include_retired:
        query = query.where(Room.retired_at.is_(None))
    return list(session.scalars(query))


def update_room(session: Session, room_id: str, changes: dict) -> Room:
    room = get_room(session, room_id)
    if room.retired_at:
        raise Problem(409, "Room retired", "A retired room cannot be changed.", slug="room-retired")
    _check_durations(changes.get("min_duration_minutes", room.min_duration_minutes),
                     changes.get("max_duration_minutes", room.max_duration_minutes))
    _check_desks(changes.get("desks", room.desks), changes.get("capacity", room.capacity))
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


# -- rules -----------------------------------------------------------------------------------------

def rule_broken(rule: str, title: str, detail: str, field: str, status: int = 422, **extra) -> Problem:
    return Problem(status, title, detail, slug=rule.replace("_", "-"), errors={field: [detail]}, rule=rule,
                   **extra)


def bookable_room(session: Session, room_id: str, lock: bool = False) -> tuple[Room, Site]:
    """The room, unless unknown or retired; `lock` serializes the bookings of this room (PostgreSQL).

    Without that lock, racing inserts wait on each other in the exclusion constraint and deadlock;
    with it they queue up, and the constraint stays the guarantee if any path forgets the lock."""
    query = select(Room).where(Room.id == room_id)
    room = session.scalars(query.with_for_update(key_share=True) if lock else query).first()
    if room is None:
        raise rule_broken("unknown_room", "Unknown room", f"No room has the id {room_id!r}.", "room")
    if room.retired_at is not None:
        raise rule_broken("room_retired", "Room retired", f"{room.name} is retired and can no longer be booked.",
                          "room")
    return room, session.get(Site, room.site_id)


def duration_minutes(starts_at: datetime, ends_at: datetime) -> int:
    return math.ceil((ends_at - starts_at).total_seconds() / 60)


def desks_taken(room: Room, desks: int | None) -> int:
    """How many of the room's desks a reservation takes: all of them unless it says fewer."""
    if desks is None:
        return room.desks
    if desks > room.desks:
        detail = (f"{room.name} has no coworking desks: leave desks out or give 0." if room.desks == 0 else
                  f"{room.name} has {room.desks} coworking desks; {desks} were asked for.")
        raise rule_broken("desks", "Not that many desks", detail, "desks", max_desks=room.desks)
    return desks


def check_shape(room: Room, starts_at: datetime, ends_at: datetime, attendees: int) -> None:
    """Rules that hold or fail for every occurrence alike: order, duration, capacity."""
    if ends_at <= starts_at:
        raise rule_broken("end_after_start", "End before start",
                          "ends_at must come after starts_at: a reservation has a positive length.", "ends_at")
    minutes = duration_minutes(starts_at, ends_at)
    if not room.min_duration_minutes <= minutes <= room.max_duration_minutes:
        raise rule_broken(
            "duration", "Duration not allowed",
            f"{room.name} is booked for {room.min_duration_minutes} to {room.max_duration_minutes} minutes; "
            f"this request lasts {minutes}.", "ends_at",
            min_minutes=room.min_duration_minutes, max_minutes=room.max_duration_minutes)
    if attendees > room.capacity:
        raise rule_broken("capacity", "Over capacity",
                          f"{room.name} holds {room.capacity} people at most; {attendees} were asked for.",
                          "attendees", max_attendees=room.capacity)


def check_calendar(session: Session, room: Room, site: Site, starts_at: datetime, ends_at: datetime,
                   now: datetime) -> None:
    """Rules of the moment: past, horizon, opening hours, closures."""
    if starts_at < now:
        raise rule_broken("in_the_past", "In the past", "starts_at is in the past: book a time to come.",
                          "starts_at")
    latest = now + timedelta(days=room.horizon_days)
    if starts_at > latest:
        raise rule_broken("horizon", "Beyond the booking horizon",
                          f"{room.name} is booked at most {room.horizon_days} days ahead, "
                          f"until {rfc3339(latest, site)}.", "starts_at",
                          horizon_days=room.horizon_days, latest_start=rfc3339(latest, site))
    if not within_opening_hours(site, starts_at, ends_at):
        day = local_day(site, starts_at)
        hours = describe_hours(site, day)
        opening = ", ".join(hours) if hours else "closed all day"
        raise rule_broken("opening_hours", "Outside opening hours",
                          f"{site.name} is open on {day.isoformat()} ({day.strftime('%A')}): {opening} "
                          f"({site.timezone}); the reservation must fit in one of these spans.",
                          "starts_at", opening_hours=hours, timezone=site.timezone)
    closure = session.scalars(select(Closure).where(
        Closure.site_id == site.id, _closes(room.id), Closure.starts_at < ends_at, Closure.ends_at > starts_at)
        .order_by(Closure.starts_at)).first()
    if closure is not None:
        closed = room.name if closure.room_id else site.name
        raise rule_broken("closure", "Room closed" if closure.room_id else "Site closed",
                          f"{closed} is closed from {rfc3339(closure.starts_at, site)} to "
                          f"{rfc3339(closure.ends_at, site)}" + (f" ({closure.reason})" if closure.reason else "")
                          + ".", "starts_at",
                          closure={"starts_at": rfc3339(closure.starts_at, site),
                                   "ends_at": rfc3339(closure.ends_at, site), "reason": closure.reason,
                                   "room_id": closure.room_id})


def conflicting(session: Session, room_id: str, starts_at: datetime, blocked_until: datetime,
                exclude_id: str | None = None) -> Reservation | None:
    query = select(Reservation).where(
        Reservation.room_id == room_id, Reservation.status.in_(ACTIVE_STATUSES),
        Reservation.starts_at < blocked_until, Reservation.blocked_until > starts_at,
    ).order_by(Reservation.starts_at)
    if exclude_id:
        query = query.where(Reservation.id != exclude_id)
    return session.scalars(query).first()


def overlap_problem(other: Reservation, site: Site) -> Problem:
    # Names the span only: who holds it is none of the requester's business.
    span = {"starts_at": rfc3339(other.starts_at, site), "ends_at": rfc3339(other.ends_at, site),
            "blocked_until": rfc3339(other.blocked_until, site)}
    return rule_broken("overlap", "Time span taken",
                       f"The room is already booked from {span['starts_at']} to {span['ends_at']}"
                       + (f" (held until {span['blocked_until']} with the buffer between bookings)"
                          if other.blocked_until != other.ends_at else "") + ".",
                       "starts_at", status=409, conflict=span)


# -- quotes and prices -----------------------------------------------------------------------------

def price_for(room: Room, kind: str, starts_at: datetime, ends_at: datetime) -> dict:
    rate = (room.rates or {}).get(kind) or DEFAULT_RATES[kind]
    price = cheapest(duration_minutes(starts_at, ends_at), rate)
    return {**price, "currency": room.currency, "rate_kind": kind}


def quote(session: Session, room_id: str, starts_at: datetime, ends_at: datetime,
          organisation_kind: str | None) -> dict:
    room, site = bookable_room(session, room_id)
    if ends_at <= starts_at:
        raise rule_broken("end_after_start", "End before start", "ends_at must come after starts_at.", "ends_at")
    kind = rate_kind(organisation_kind)
    price = price_for(room, kind, starts_at, ends_at)
    return {"room_id": room.id, "site_id": site.id, "starts_at": utc(starts_at), "ends_at": utc(ends_at),
            "minutes": duration_minutes(starts_at, ends_at), **price,
            "needs_approval": kind in (room.approval_required_for or [])}


# -- reservations ----------------------------------------------------------------------------------

def reservation_event_data(reservation: Reservation) -> dict:
    data = {
        "reservation_id": reservation.id, "room_id": reservation.room_id, "site_id": reservation.site_id,
        "series_id": reservation.series_id, "starts_at": rfc3339(reservation.starts_at),
        "ends_at": rfc3339(reservation.ends_at), "blocked_until": rfc3339(reservation.blocked_until),
        "desks": reservation.desks, "attendees": reservation.attendees,
        "public": reservation.public, "status": reservation.status,
    }
    if reservation.public and reservation.title:
        data["title"] = reservation.title
    return data


def _publish(session: Session, type_: str, reservation: Reservation) -> None:
    record_event(session, events.SOURCE, type_, reservation_event_data(reservation), subject=reservation.id)


def _insert_reservation(session: Session, reservation: Reservation, site: Site) -> None:
    """Insert under the no-overlap rule; the database has the last word when requests race."""
    other = conflicting(session, reservation.room_id, reservation.starts_at, reservation.blocked_until)
    if other is not None:
        raise overlap_problem(other, site)
    try:
        with session.begin_nested():
            session.add(reservation)
            session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        # A concurrent request won; it has committed, so its span is visible now.
        other = conflicting(session, reservation.room_id, reservation.starts_at, reservation.blocked_until)
        if other is None:
            raise Problem(409, "Time span taken", "The room was booked for this time meanwhile; try again.",
                          slug="overlap", rule="overlap") from None
        raise overlap_problem(other, site) from None


def _new_reservation(room: Room, identity: Identity, starts_at: datetime, ends_at: datetime,
                     attendees: int, desks: int, title: str | None, public: bool, now: datetime,
                     series_id: str | None = None) -> Reservation:
    kind = rate_kind(identity.organisation_kind)
    price = price_for(room, kind, starts_at, ends_at)
    starts_at, ends_at = utc(starts_at), utc(ends_at)
    return Reservation(
        id=str(uuid.uuid4()), room_id=room.id, site_id=room.site_id, series_id=series_id,
        starts_at=starts_at, ends_at=ends_at, blocked_until=ends_at + timedelta(minutes=room.buffer_minutes),
        attendees=attendees, desks=desks, title=title or None, public=public, requester_id=identity.subject,
        organisation_id=identity.organisation_id, rate_kind=kind, status="requested",
        currency=room.currency, list_price_cents=price["total_cents"], price_cents=price["total_cents"],
        price_breakdown=price["lines"], money_box=price["money_box"], contribution_cents=0,
        created_at=now, updated_at=now,
    )


def _auto_confirms(room: Room, identity: Identity) -> bool:
    return identity.is_staff or rate_kind(identity.organisation_kind) not in (room.approval_required_for or [])


def _book(session: Session, room: Room, site: Site, identity: Identity, starts_at: datetime,
          ends_at: datetime, attendees: int, desks: int, title: str | None, public: bool, now: datetime,
          series_id: str | None = None) -> Reservation:
    check_calendar(session, room, site, starts_at, ends_at, now)
    reservation = _new_reservation(room, identity, starts_at, ends_at, attendees, desks, title, public, now,
                                   series_id)
    _insert_reservation(session, reservation, site)
    _publish(session, events.RESERVATION_REQUESTED, reservation)
    if _auto_confirms(room, identity):
        reservation.status, reservation.decided_at = "confirmed", now
        session.flush()
        _publish(session, events.RESERVATION_CONFIRMED, reservation)
    return reservation


def request_reservation(session: Session, identity: Identity, room_id: str, starts_at: datetime,
                        ends_at: datetime, attendees: int, title: str | None = None, public: bool = False,
                        now: datetime | None = None, desks: int | None = None) -> Reservation:
    """`desks`: how many of a coworking room's desks it takes (default: all of them)."""
    now = now or utcnow()
    room, site = bookable_room(session, room_id, lock=True)
    check_shape(room, starts_at, ends_at, attendees)
    taken = desks_taken(room, desks)
    return _book(session, room, site, identity, starts_at, ends_at, attendees, taken, title, public, now)


def can_see_everything(reservation: Reservation, identity: Identity | None) -> bool:
    if identity is None:
        return False
    return (identity.is_staff or (reservation.requester_id is not None
                                  and reservation.requester_id == identity.subject)
            or (reservation.organisation_id is not None
                and reservation.organisation_id == identity.organisation_id))


def get_reservation(session: Session, reservation_id: str, identity: Identity | None) -> tuple[Reservation, bool]:
    """The reservation and whether the caller may see all of it; others see public ones only."""
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise not_found("Reservation")
    full = can_see_everything(reservation, identity)
    if not full and not (reservation.public and reservation.status == "confirmed"):
        raise not_found("Reservation")
    return reservation, full


PUBLIC_FIELDS = ("id", "room_id", "site_id", "starts_at", "ends_at", "attendees", "desks", "title", "public",
                 "status")


def public_view(reservation: Reservation) -> dict:
    """What anyone may see of a confirmed public reservation: no booker, no price."""
    return {name: getattr(reservation, name) for name in PUBLIC_FIELDS}


def list_reservations(session: Session, identity: Identity, mine: bool = False, status: str | None = None,
                      site: str | None = None, room: str | None = None, starts_from: datetime | None = None,
                      until: datetime | None = None, limit: int = 200) -> list[Reservation]:
    query = select(Reservation).order_by(Reservation.starts_at).limit(limit)
    if mine or not identity.is_staff:
        own = Reservation.requester_id == identity.subject
        if identity.organisation_id:
            own = or_(own, Reservation.organisation_id == identity.organisation_id)
        query = query.where(own)
    if status:
        query = query.where(Reservation.status == status)
    if site:
        query = query.where(Reservation.site_id == require_site(session, site).id)
    if room:
        query = query.where(Reservation.room_id == room)
    if starts_from:
        query = query.where(Reservation.ends_at > starts_from)
    if until:
        query = query.where(Reservation.starts_at < until)
    return list(session.scalars(query))


def _load_for_change(session: Session, reservation_id: str) -> Reservation:
    reservation = session.get(Reservation, reservation_id, with_for_update=True)
    if reservation is None:
        raise not_found("Reservation")
    return reservation


def _require_staff(identity: Identity) -> None:
    if not identity.is_staff:
        raise Problem(403, "Forbidden", "Only a veilleur or an admin does this.", slug="forbidden")


def _wrong_state(reservation: Reservation, action: str, allowed: tuple[str, ...]) -> Problem:
    return Problem(409, "Wrong state", f"A {reservation.status} reservation cannot be {action}; "
                   f"only a {' or '.join(allowed)} one can.", slug="wrong-state", rule="state",
                   status_now=reservation.status, allowed_states=list(allowed))


def confirm_reservation(session: Session, reservation_id: str, identity: Identity,
                        reason: str | None = None) -> Reservation:
    """`reason`, if given, is for the requester (e.g. "the key is at the café"); events never carry it."""
    _require_staff(identity)
    reservation = _load_for_change(session, reservation_id)
    if reservation.status != "requested":
        raise _wrong_state(reservation, "confirmed", ("requested",))
    reservation.status, reservation.confirm_reason = "confirmed", reason
    reservation.decided_at = reservation.updated_at = utcnow()
    _publish(session, events.RESERVATION_CONFIRMED, reservation)
    return reservation


def decline_reservation(session: Session, reservation_id: str, identity: Identity, reason: str) -> Reservation:
    _require_staff(identity)
    reservation = _load_for_change(session, reservation_id)
    if reservation.status != "requested":
        raise _wrong_state(reservation, "declined", ("requested",))
    reservation.status, reservation.decline_reason = "declined", reason
    reservation.decided_at = reservation.updated_at = utcnow()
    _publish(session, events.RESERVATION_DECLINED, reservation)
    return reservation


def _may_cancel(reservation: Reservation, identity: Identity) -> bool:
    return identity.is_staff or (reservation.requester_id is not None
                                 and reservation.requester_id == identity.subject)


def cancel_reservation(session: Session, reservation_id: str, identity: Identity) -> Reservation:
    reservation = _load_for_change(session, reservation_id)
    if not can_see_everything(reservation, identity):
        raise not_found("Reservation")
    if not _may_cancel(reservation, identity):
        raise Problem(403, "Forbidden", "Only the person who booked or a veilleur cancels a reservation.",
                      slug="forbidden")
    if reservation.status not in ACTIVE_STATUSES:
        raise _wrong_state(reservation, "cancelled", ACTIVE_STATUSES)
    _cancel(session, reservation)
    return reservation


def _cancel(session: Session, reservation: Reservation) -> None:
    reservation.status = "cancelled"
    reservation.cancelled_at = reservation.updated_at = utcnow()
    _publish(session, events.RESERVATION_CANCELLED, reservation)


def adjust_price(session: Session, reservation_id: str, identity: Identity, price_cents: int,
                 reason: str) -> Reservation:
    """A veilleur waives (0) or reduces the price fixed on the reservation, with a reason."""
    _require_staff(identity)
    reservation = _load_for_change(session, reservation_id)
    if reservation.status in ("declined", "cancelled"):
        raise _wrong_state(reservation, "repriced", ACTIVE_STATUSES)
    if price_cents > reservation.list_price_cents:
        raise rule_broken("price_reduction", "Not a reduction",
                          f"The price can be waived or reduced, not raised: at most "
                          f"{reservation.list_price_cents} cents.", "price_cents",
                          max_price_cents=reservation.list_price_cents)
    reservation.price_cents, reservation.price_reason = price_cents, reason
    reservation.updated_at = utcnow()
    return reservation


def record_contribution(session: Session, reservation_id: str, identity: Identity,
                        amount_cents: int) -> Reservation:
    """What the booker chose to give (pay what you can, money box), as received by a veilleur."""
    _require_staff(identity)
    reservation = _load_for_change(session, reservation_id)
    if reservation.status in ("declined", "cancelled"):
        raise _wrong_state(reservation, "given a contribution", ACTIVE_STATUSES)
    reservation.contribution_cents = amount_cents
    reservation.updated_at = utcnow()
    return reservation


# -- recurring series ------------------------------------------------------------------------------

def request_series(session: Session, identity: Identity, room_id: str, starts_at: datetime, ends_at: datetime,
                   attendees: int, frequency: str, until: date | None = None, count: int | None = None,
                   title: str | None = None, public: bool = False, now: datetime | None = None,
                   desks: int | None = None) -> dict:
    """Book every occurrence that fits; report each one that does not, with the rule it breaks."""
    now = now or utcnow()
    room, site = bookable_room(session, room_id, lock=True)
    check_shape(room, starts_at, ends_at, attendees)
    taken = desks_taken(room, desks)
    if until is not None:
        today, first_day = now.astimezone(zone(site)).date(), starts_at.astimezone(zone(site)).date()
        if until < max(today, first_day):
            ended = "is in the past" if until < today else "is before the first occurrence"
            raise Problem(422, "Invalid input", f"recurrence.until: {until.isoformat()} {ended}.",
                          slug="invalid-input", errors={"recurrence": {"until": [
                              f"{ended}: give the last date of the series, from {max(today, first_day)} on"]}})
    series = ReservationSeries(id=str(uuid.uuid4()), room_id=room.id, frequency=frequency, until=until,
                               count=count, requester_id=identity.subject,
                               organisation_id=identity.organisation_id, created_at=now)
    session.add(series)
    session.flush()
    created, skipped = [], []
    for occurrence_start, occurrence_end in recurrence.occurrences(site, starts_at, ends_at, frequency,
                                                                   until=until, count=count):
        try:
            created.append(_book(session, room, site, identity, occurrence_start, occurrence_end, attendees,
                                 taken, title, public, now, series_id=series.id))
        except Problem as problem:
            if problem.status >= 500:
                raise
            skipped.append({"starts_at": occurrence_start, "ends_at": occurrence_end,
                            "rule": problem.extra.get("rule", problem.slug), "detail": problem.detail,
                            "conflict": problem.extra.get("conflict")})
    if not created:
        raise Problem(409, "No occurrence fits", "None of the occurrences of this series could be booked.",
                      slug="series-empty", rule="series_empty",
                      skipped=[{**s, "starts_at": rfc3339(s["starts_at"], site),
                                "ends_at": rfc3339(s["ends_at"], site)} for s in skipped])
    return {"series": series, "created": created, "skipped": skipped}


def get_series(session: Session, series_id: str, identity: Identity) -> dict:
    series = session.get(ReservationSeries, series_id)
    if series is None or not (identity.is_staff or series.requester_id == identity.subject):
        raise not_found("Series")
    occurrences = list(session.scalars(select(Reservation).where(Reservation.series_id == series.id)
                                       .order_by(Reservation.starts_at)))
    return {"series": series, "created": occurrences, "skipped": []}


def cancel_series(session: Session, series_id: str, identity: Identity,
                  starting_from: datetime | None = None) -> list[Reservation]:
    """Cancel the occurrences that start at or after `starting_from` (default: now): the rest of the series."""
    series = session.get(ReservationSeries, series_id)
    if series is None or not (identity.is_staff or series.requester_id == identity.subject):
        raise not_found("Series")
    query = select(Reservation).where(
        Reservation.series_id == series.id, Reservation.status.in_(ACTIVE_STATUSES),
        Reservation.starts_at >= (starting_from or utcnow())).order_by(Reservation.starts_at).with_for_update()
    cancelled = list(session.scalars(query))
    for reservation in cancelled:
        _cancel(session, reservation)
    return cancelled


# -- closures --------------------------------------------------------------------------------------

def _closes(room_id: str):
    """The closures that close this room: its site's whole-site ones and its own."""
    return or_(Closure.room_id.is_(None), Closure.room_id == room_id)


def closure_event_data(closure: Closure) -> dict:
    # The reason is text a veilleur typed: events never carry it (GET /closures shows it).
    return {"closure_id": closure.id, "site_id": closure.site_id, "room_id": closure.room_id,
            "starts_at": rfc3339(closure.starts_at), "ends_at": rfc3339(closure.ends_at)}


def create_closure(session: Session, site: str, starts_at: datetime, ends_at: datetime, reason: str = "",
                   room: str | None = None) -> Closure:
    """Close the whole site, or only `room` of it, from `starts_at` to `ends_at`."""
    found = require_site(session, site)
    closed_room = None
    if room is not None:
        closed_room = session.get(Room, room)
        if closed_room is None or closed_room.site_id != found.id:
            raise invalid("room", f"no room {room!r} at {found.name}")
    if ends_at <= starts_at:
        raise rule_broken("end_after_start", "End before start", "ends_at must come after starts_at.", "ends_at")
    closure = Closure(id=str(uuid.uuid4()), site_id=found.id, room_id=closed_room.id if closed_room else None,
                      starts_at=utc(starts_at), ends_at=utc(ends_at), reason=reason, created_at=utcnow())
    session.add(closure)
    session.flush()
    # Existing reservations are left as they are: a veilleur decides to move or cancel each one.
    affected = select(Reservation.id).where(
        Reservation.site_id == found.id, Reservation.status.in_(ACTIVE_STATUSES),
        Reservation.starts_at < closure.ends_at, Reservation.ends_at > closure.starts_at)
    if closed_room is not None:
        affected = affected.where(Reservation.room_id == closed_room.id)
    closure.affected_reservations = list(session.scalars(affected.order_by(Reservation.starts_at)))
    record_event(session, events.SOURCE, events.CLOSURE_CREATED, closure_event_data(closure), subject=closure.id)
    return closure


def list_closures(session: Session, site: str | None = None, starts_from: datetime | None = None,
                  room: str | None = None) -> list[Closure]:
    """Closures of a site, or those that close one room (its site's and its own)."""
    query = select(Closure).order_by(Closure.starts_at)
    if site:
        query = query.where(Closure.site_id == require_site(session, site).id)
    if room:
        query = query.where(_closes(room), Closure.site_id == get_room(session, room).site_id)
    if starts_from:
        query = query.where(Closure.ends_at > starts_from)
    return list(session.scalars(query))


def delete_closure(session: Session, closure_id: str) -> None:
    closure = session.get(Closure, closure_id)
    if closure is None:
        raise not_found("Closure")
    record_event(session, events.SOURCE, events.CLOSURE_DELETED, closure_event_data(closure), subject=closure.id)
    session.delete(closure)


# -- availability ----------------------------------------------------------------------------------

def _check_range(starts: datetime, ends: datetime) -> None:
    if ends <= starts:
        raise invalid("to", "must come after from")
    if ends - starts > timedelta(days=MAX_RANGE_DAYS):
        raise invalid("to", f"the range is at most {MAX_RANGE_DAYS} days")


def _site_closures(session: Session, site_id: str, starts: datetime, ends: datetime) -> list:
    """(room id or None for the whole site, starts, ends) of the closures of a site during [starts, ends)."""
    return list(session.execute(select(Closure.room_id, Closure.starts_at, Closure.ends_at).where(
        Closure.site_id == site_id, Closure.starts_at < ends, Closure.ends_at > starts)))


def _closing(closures: list, room_id: str | None) -> list:
    """The spans of `closures` that close this room (None: those that close the whole site)."""
    return [(s, e) for closed_room, s, e in closures if closed_room is None or closed_room == room_id]


# The longest span a reservation can block: the longest duration a room allows and the longest buffer
# (the room schema's bounds are these constants).
MAX_DURATION_MINUTES, MAX_BUFFER_MINUTES = 24 * 60, 240
LONGEST_BLOCK = timedelta(minutes=MAX_DURATION_MINUTES + MAX_BUFFER_MINUTES)


def _busy(session: Session, room_id: str, starts: datetime, ends: datetime) -> list:
    """Active reservations of a room that block part of [starts, ends): their span and status only.

    The lower bound on `starts_at` lets the (room_id, starts_at, blocked_until) index read a few rows
    instead of the room's whole history."""
    return list(session.execute(select(Reservation.starts_at, Reservation.blocked_until, Reservation.status).where(
        Reservation.room_id == room_id, Reservation.status.in_(ACTIVE_STATUSES),
        Reservation.starts_at > starts - LONGEST_BLOCK, Reservation.starts_at < ends,
        Reservation.blocked_until > starts).order_by(Reservation.starts_at)))


def room_availability(session: Session, room: Room, site: Site, starts: datetime, ends: datetime,
                      closures: list | None = None) -> dict:
    """`closures`: the site's, from _site_closures."""
    closures = _closing(_site_closures(session, site.id, starts, ends) if closures is None else closures, room.id)
    busy = _busy(session, room.id, starts, ends)
    taken = [(r.starts_at, r.blocked_until) for r in busy]
    return {
        "room_id": room.id, "name": room.name, "capacity": room.capacity,
        "busy": [{"starts_at": r.starts_at, "ends_at": r.blocked_until, "status": r.status} for r in busy],
        "free": [{"starts_at": utc(s), "ends_at": utc(e)}
                 for s, e in subtract(open_spans(site, starts, ends, closures), taken)],
    }


def availability(session: Session, starts: datetime, ends: datetime, room_id: str | None = None,
                 site: str | None = None) -> dict:
    """Free and busy spans of one room, or of every active room of a site; no booker is named."""
    _check_range(starts, ends)
    if room_id:
        room = get_room(session, room_id)
        found = session.get(Site, room.site_id)
        rooms = [room]
    elif site:
        found = require_site(session, site)
        rooms = list_rooms(session, found.id)
    else:
        raise invalid("room", "give a room or a site")
    closures = _site_closures(session, found.id, starts, ends)
    return {"site_id": found.id, "timezone": found.timezone, "starts_from": utc(starts), "until": utc(ends),
            "closures": [{"starts_at": s, "ends_at": e} for s, e in _closing(closures, None)],
            "rooms": [room_availability(session, room, found, starts, ends, closures) for room in rooms]}


def _next_quarter(moment: datetime) -> datetime:
    floor = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=15)


def first_free_slot(session: Session, starting_from: datetime, duration: int, attendees: int,
                    room_id: str | None = None, site: str | None = None, now: datetime | None = None) -> dict:
    """The earliest time, from `starting_from`, when a room fits `attendees` for `duration` minutes."""
    now = now or utcnow()
    if room_id:
        room, found = bookable_room(session, room_id)
        rooms = [room]
    elif site:
        found = require_site(session, site)
        rooms = list_rooms(session, found.id)
    else:
        raise invalid("room", "give a room or a site")
    rooms = [r for r in rooms if r.capacity >= attendees
             and r.min_duration_minutes <= duration <= r.max_duration_minutes]
    if not rooms:
        raise rule_broken("capacity", "No room fits",
                          f"No room here takes {attendees} people for {duration} minutes.", "attendees")
    starts = _next_quarter(max(starting_from, now))
    length = timedelta(minutes=duration)
    window = timedelta(days=7)
    search_end = starts + timedelta(days=FIRST_FREE_SEARCH_DAYS)
    while starts < search_end:
        ends = min(starts + window, search_end)
        closures = _site_closures(session, found.id, starts, ends + length)
        best = None
        for room in rooms:
            latest = now + timedelta(days=room.horizon_days)
            busy = [(r.starts_at - timedelta(minutes=room.buffer_minutes), r.blocked_until)
                    for r in _busy(session, room.id, starts, ends + length + timedelta(minutes=room.buffer_minutes))]
            for free_start, free_end in subtract(open_spans(site=found, starts=starts, ends=ends + length,
                                                            closures=_closing(closures, room.id)), busy):
                if free_end - free_start >= length and free_start <= latest and free_start < ends:
                    if best is None or free_start < best[1]:
                        best = (room, free_start)
                    break
        if best is not None:
            room, slot = best
            return {"room_id": room.id, "site_id": found.id, "starts_at": utc(slot), "ends_at": utc(slot + length)}
        starts = ends
    raise Problem(404, "No free slot", f"No room is free for {duration} minutes within "
                  f"{FIRST_FREE_SEARCH_DAYS} days.", slug="no-free-slot")


# -- calendars and erasure -------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def rotate_calendar_token(session: Session, identity: Identity, organisation_id: str) -> str:
    """A new secret for the organisation's private feed; the former one stops working at once."""
    if not (identity.is_staff or identity.organisation_id == organisation_id):
        raise Problem(403, "Forbidden", "Only a member of this organisation or a veilleur does this.",
                      slug="forbidden")
    token = secrets.token_urlsafe(32)
    row = session.get(CalendarToken, organisation_id, with_for_update=True)
    if row is None:
        session.add(CalendarToken(organisation_id=organisation_id, token_digest=_digest(token),
                                  rotated_at=utcnow()))
    else:
        row.token_digest, row.rotated_at = _digest(token), utcnow()
    return token


def organisation_for_token(session: Session, organisation_id: str, token: str | None) -> None:
    row = session.get(CalendarToken, organisation_id)
    if row is None or not token or not secrets.compare_digest(row.token_digest, _digest(token)):
        raise not_found("Calendar", "No calendar answers to this address and token.")


def feed_reservations(session: Session, *, room_id: str | None = None, site_id: str | None = None,
                      organisation_id: str | None = None, now: datetime | None = None) -> list[Reservation]:
    since = (now or utcnow()) - timedelta(days=90)
    query = select(Reservation).where(Reservation.ends_at > since).order_by(Reservation.starts_at)
    if organisation_id:
        return list(session.scalars(query.where(Reservation.organisation_id == organisation_id,
                                                Reservation.status.in_(ACTIVE_STATUSES))))
    query = query.where(Reservation.public.is_(True), Reservation.status == "confirmed")
    if room_id:
        query = query.where(Reservation.room_id == room_id)
    if site_id:
        query = query.where(Reservation.site_id == site_id)
    return list(session.scalars(query))


def erase_account(session: Session, account_id: str) -> int:
    """The person's reservations keep their time slot and lose every personal field."""
    result = session.execute(update(Reservation).where(Reservation.requester_id == account_id).values(
        requester_id=None, title=None, decline_reason=None, confirm_reason=None, price_reason=None,
        erased_at=utcnow()))
    session.execute(update(ReservationSeries).where(ReservationSeries.requester_id == account_id)
                    .values(requester_id=None))
    return result.rowcount


def _feed(session: Session, name: str, reservations: list[Reservation]) -> bytes:
    rooms = {r.id: r for r in session.scalars(select(Room).where(Room.id.in_({x.room_id for x in reservations})))}
    sites = {s.id: s for s in session.scalars(select(Site).where(Site.id.in_({x.site_id for x in reservations})))}
    return feed(name, reservations, rooms, sites)


def room_feed(session: Session, room: Room, now: datetime | None = None) -> bytes:
    site = session.get(Site, room.site_id)
    return _feed(session, f"{room.name} — {site.name}", feed_reservations(session, room_id=room.id, now=now))


def site_feed(session: Session, site: Site, now: datetime | None = None) -> bytes:
    return _feed(session, site.name, feed_reservations(session, site_id=site.id, now=now))


def organisation_feed(session: Session, organisation_id: str, token: str | None,
                      now: datetime | None = None) -> bytes:
    organisation_for_token(session, organisation_id, token)
    return _feed(session, "Nos réservations", feed_reservations(session, organisation_id=organisation_id, now=now))
