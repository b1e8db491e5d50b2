"""Event types the booking service publishes and consumes, and the contract of each published one's data."""
from marshmallow import EXCLUDE, Schema, fields, missing

from services.booking.models import ROOM_KINDS
from shared.bus.contracts import (
    Boolean,
    Contract,
    EventData,
    Id,
    ListOf,
    MapOf,
    Moment,
    Object,
    Text,
    Whole,
    example_id,
    publishes,
    reads,
)
from shared.identity import ORGANISATION_KINDS
from shared.sites import SITE_EVENTS

SOURCE = "booking"
ROOM_CREATED = "booking.room.created"
ROOM_UPDATED = "booking.room.updated"
ROOM_RETIRED = "booking.room.retired"
RESERVATION_REQUESTED = "booking.reservation.requested"
RESERVATION_CONFIRMED = "booking.reservation.confirmed"
RESERVATION_DECLINED = "booking.reservation.declined"
RESERVATION_CANCELLED = "booking.reservation.cancelled"
CLOSURE_CREATED = "booking.closure.created"
CLOSURE_DELETED = "booking.closure.deleted"

ACCOUNT_ERASED = "identity.account.erased"
CONSUMED = (*SITE_EVENTS, ACCOUNT_ERASED)

SITE = example_id("site:la-coroutine")
ROOM = example_id("room:la-coroutine/coworking")
RESERVATION = example_id("reservation:coworking/assemblee")


class RateData(EventData):
    hour = Whole("cents per hour", example=200)
    half_day = Whole("cents per half-day (up to 4 hours)", example=500)
    day = Whole("cents per day", example=1000)
    money_box = Boolean("free; a gift to the money box is welcome", example=False)


FREE = {"hour": 0, "half_day": 0, "day": 0, "money_box": True}
PAID = {"hour": 200, "half_day": 500, "day": 1000, "money_box": False}


class RoomData(EventData):
    room_id = Id("the room (also the `subject`)", example=ROOM)
    site_id = Id("its site", example=SITE)
    name = Text("its name at the site", example="Espace coworking", length=(1, 120))
    kind = Text("what the room is for", choices=ROOM_KINDS, example="coworking")
    desks = Whole("coworking desks in the room (0: none); a reservation takes some or all of them",
                  example=20)
    capacity = Whole("people it holds", minimum=1, example=20)
    equipment = ListOf(Text("one item", length=(1, 80)), "e.g. `wifi`, `vidéoprojecteur`",
                       example=["20 postes", "wifi"])
    accessibility = Text("accessibility notes", example="Plain-pied.")
    currency = Text("currency of the rates", choices=("EUR",), example="EUR")
    rates = MapOf(Object(RateData, "the rate of that kind"),
                  "per kind of requester (an organisation's kind, or `individual`): the rate; the cheapest "
                  "combination of hours, half-days and days is charged", keys=(*ORGANISATION_KINDS, "individual"),
                  key_name="kind",
                  example={"association": FREE, "citizen_group": FREE, "public_body": PAID, "company": PAID,
                           "individual": PAID})


class RoomRetiredData(EventData):
    room_id = Id("the room (also the `subject`)", example=ROOM)
    site_id = Id("its site", example=SITE)


class ReservationData(EventData):
    reservation_id = Id("the reservation (also the `subject`)", example=RESERVATION)
    room_id = Id("the room booked", example=ROOM)
    site_id = Id("the site of the room", example=SITE)
    series_id = Id("the recurring series it belongs to; null: none", nullable=True, example=None)
    starts_at = Moment("start of the reserved span (UTC)", example="2026-12-08T13:00:00+00:00")
    ends_at = Moment("end of the reserved span (UTC), without the room's buffer",
                     example="2026-12-08T16:00:00+00:00")
    blocked_until = Moment("until when the room is held: `ends_at` plus the room's buffer between bookings "
                           "(UTC); nobody else can book it before", example="2026-12-08T16:30:00+00:00")
    desks = Whole("coworking desks it takes from coworkers, from `starts_at` to `blocked_until` "
                  "(0 in a room without desks)", example=20)
    attendees = Whole("people expected", minimum=1, example=35)
    public = Boolean("whether it shows in the public calendars", example=True)
    status = Text("the status after the change", choices=("requested", "confirmed", "declined", "cancelled"),
                  example="requested")
    title = Text("present only when `public` is true and a title was given", required=False, length=(1, 200),
                 example="Assemblée du collectif revenu de base")


class ClosureData(EventData):
    closure_id = Id("the closure (also the `subject`)", example=example_id("closure:la-coroutine/noel"))
    site_id = Id("the site", example=SITE)
    room_id = Id("the room closed; null: the whole site is closed", nullable=True, example=None)
    starts_at = Moment("closed from (UTC)", example="2026-12-24T17:00:00+00:00")
    ends_at = Moment("until (UTC)", example="2027-01-03T23:00:00+00:00")


PUBLISHED = publishes(
    SOURCE,
    Contract(ROOM_CREATED, RoomData, "A room of a site was created.", subject="room_id"),
    Contract(ROOM_UPDATED, RoomData, "A room of a site was changed.", subject="room_id"),
    Contract(ROOM_RETIRED, RoomRetiredData, "A room can no longer be booked.", subject="room_id"),
    Contract(RESERVATION_REQUESTED, ReservationData, "Someone asked for a room; the span is held.",
             subject="reservation_id"),
    Contract(RESERVATION_CONFIRMED, ReservationData, "A reservation was confirmed.", subject="reservation_id",
             example={"status": "confirmed"}),
    Contract(RESERVATION_DECLINED, ReservationData, "A veilleur declined a request; the span is free again.",
             subject="reservation_id", example={"status": "declined", "public": False, "title": missing}),
    Contract(RESERVATION_CANCELLED, ReservationData, "A reservation was cancelled; the span is free again.",
             subject="reservation_id", example={"status": "cancelled"}),
    Contract(CLOSURE_CREATED, ClosureData, "A site, or one room of it, is closed for a while: nothing can be "
             "booked there then.", subject="closure_id"),
    Contract(CLOSURE_DELETED, ClosureData, "A closure was removed: the site or room can be booked then again.",
             subject="closure_id"),
)


@reads(ACCOUNT_ERASED)
class AccountErasedData(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.String(required=True, validate=lambda value: 0 < len(value) <= 80)
