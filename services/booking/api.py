"""HTTP API of the booking service. Views only translate HTTP to use cases."""
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.booking import service
from services.booking.schemas import (
    AvailabilityQuerySchema,
    AvailabilitySchema,
    CalendarTokenSchema,
    ClosureCreateSchema,
    ClosureQuerySchema,
    ClosureSchema,
    ConfirmSchema,
    ContributionSchema,
    DeclineSchema,
    FeedQuerySchema,
    FirstFreeQuerySchema,
    PriceAdjustmentSchema,
    QuoteQuerySchema,
    QuoteSchema,
    ReservationCreateSchema,
    ReservationQuerySchema,
    ReservationSchema,
    RoomCreateSchema,
    RoomQuerySchema,
    RoomSchema,
    RoomUpdateSchema,
    SeriesCancelSchema,
    SeriesCreateSchema,
    SeriesResultSchema,
    SlotSchema,
)
from shared.events import utcnow
from shared.identity import (
    current_identity,
    organisation_member_or_staff,
    person_required,
    roles_required,
    signed_in,
)
from shared.problems import not_found
from shared.web import database, no_store, now

rooms = Blueprint("rooms", __name__, url_prefix="/rooms", description="Rooms of a site")
STAFF = ("veilleur", "admin")


@rooms.route("")
class Rooms(MethodView):
    @rooms.arguments(RoomQuerySchema, location="query")
    @rooms.response(200, RoomSchema(many=True))
    def get(self, query):
        """List the rooms of a site (anyone)."""
        with database().transaction() as session:
            return service.list_rooms(session, query.get("site"), query["include_retired"])

    @roles_required(*STAFF)
    @rooms.arguments(RoomCreateSchema)
    @rooms.response(201, RoomSchema)
    @rooms.doc(security=[{"identity": []}])
    def post(self, payload):
        """Create a room (veilleur, admin)."""
        with database().transaction() as session:
            return service.create_room(session, **payload)


@rooms.route("/<room_id>")
class RoomItem(MethodView):
    @rooms.response(200, RoomSchema)
    def get(self, room_id):
        """Read one room (anyone)."""
        with database().transaction() as session:
            return service.get_room(session, room_id)

    @roles_required(*STAFF)
    @rooms.arguments(RoomUpdateSchema)
    @rooms.response(200, RoomSchema)
    @rooms.doc(security=[{"identity": []}])
    def patch(self, changes, room_id):
        """Change a room (veilleur, admin)."""
        with database().transaction() as session:
            return service.update_room(session, room_id, changes)


@rooms.route("/<room_id>/retire")
class RoomRetire(MethodView):
    @roles_required(*STAFF)
    @rooms.response(200, RoomSchema)
    @rooms.doc(security=[{"identity": []}])
    def post(self, room_id):
        """Retire a room: it can no longer be booked (veilleur, admin)."""
        with database().transaction() as session:
            return service.retire_room(session, room_id)


# -- reservations ----------------------------------------------------------------------------------

reservations = Blueprint("reservations", __name__, url_prefix="/reservations",
                         description="Reservations of rooms: request, confirm, decline, cancel, prices")


@reservations.route("")
class Reservations(MethodView):
    @signed_in
    @reservations.arguments(ReservationQuerySchema, location="query")
    @reservations.response(200, ReservationSchema(many=True))
    @reservations.doc(security=[{"identity": []}])
    def get(self, query):
        """List reservations: mine (anyone signed in), or any with filters (veilleur, admin).

        `?status=requested` gives a veilleur the requests waiting for approval."""
        identity = current_identity()
        with database().transaction() as session:
            return service.list_reservations(session, identity, **query)

    @person_required
    @reservations.arguments(ReservationCreateSchema)
    @reservations.response(201, ReservationSchema)
    @reservations.doc(security=[{"identity": []}])
    def post(self, payload):
        """Request a reservation (a person signed in); confirmed at once or waiting for a veilleur, per the room."""
        identity = current_identity()
        with database().transaction() as session:
            return service.request_reservation(session, identity, payload.pop("room"), **payload, now=now())


@reservations.route("/<reservation_id>")
class ReservationItem(MethodView):
    @reservations.response(200, ReservationSchema)
    def get(self, reservation_id):
        """Read a reservation: all of it for its requester, organisation and veilleurs; public ones for anyone."""
        identity = current_identity(required=False)
        with database().transaction() as session:
            reservation, full = service.get_reservation(session, reservation_id, identity)
            return reservation if full else service.public_view(reservation)


@reservations.route("/<reservation_id>/confirm")
class ReservationConfirm(MethodView):
    @roles_required(*STAFF)
    @reservations.arguments(ConfirmSchema, required=False)
    @reservations.response(200, ReservationSchema)
    @reservations.doc(security=[{"identity": []}])
    def post(self, payload, reservation_id):
        """Confirm a requested reservation, with an optional reason the requester sees (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.confirm_reservation(session, reservation_id, identity, payload.get("reason"))


@reservations.route("/<reservation_id>/decline")
class ReservationDecline(MethodView):
    @roles_required(*STAFF)
    @reservations.arguments(DeclineSchema)
    @reservations.response(200, ReservationSchema)
    @reservations.doc(security=[{"identity": []}])
    def post(self, payload, reservation_id):
        """Decline a requested reservation, with a reason (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.decline_reservation(session, reservation_id, identity, payload["reason"])


@reservations.route("/<reservation_id>/cancel")
class ReservationCancel(MethodView):
    @reservations.response(200, ReservationSchema)
    @reservations.doc(security=[{"identity": []}])
    def post(self, reservation_id):
        """Cancel a requested or confirmed reservation (its requester, veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.cancel_reservation(session, reservation_id, identity)


@reservations.route("/<reservation_id>/price")
class ReservationPrice(MethodView):
    @roles_required(*STAFF)
    @reservations.arguments(PriceAdjustmentSchema)
    @reservations.response(200, ReservationSchema)
    @reservations.doc(security=[{"identity": []}])
    def post(self, payload, reservation_id):
        """Waive (0) or reduce the price, with a reason (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.adjust_price(session, reservation_id, identity, **payload)


@reservations.route("/<reservation_id>/contribution")
class ReservationContribution(MethodView):
    @roles_required(*STAFF)
    @reservations.arguments(ContributionSchema)
    @reservations.response(200, ReservationSchema)
    @reservations.doc(security=[{"identity": []}])
    def post(self, payload, reservation_id):
        """Record a pay-what-you-can contribution (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.record_contribution(session, reservation_id, identity, payload["amount_cents"])


quotes = Blueprint("quotes", __name__, url_prefix="/quote", description="Prices before booking")


@quotes.route("")
class Quote(MethodView):
    @quotes.arguments(QuoteQuerySchema, location="query")
    @quotes.response(200, QuoteSchema)
    def get(self, query):
        """The price of a room for a time span, for the caller's organisation kind or the one given (anyone)."""
        identity = current_identity(required=False)
        kind = query.get("organisation_kind") or (identity.organisation_kind if identity else None)
        with database().transaction() as session:
            return service.quote(session, query["room"], query["starts_at"], query["ends_at"], kind)


# -- recurring series ------------------------------------------------------------------------------

series = Blueprint("series", __name__, url_prefix="/reservation-series", description="Recurring reservations")


@series.route("")
class SeriesCollection(MethodView):
    @person_required
    @series.arguments(SeriesCreateSchema)
    @series.response(201, SeriesResultSchema)
    @series.doc(security=[{"identity": []}])
    def post(self, payload):
        """Request a recurring series; occurrences that break a rule are reported in `skipped` (a person signed in)."""
        identity = current_identity()
        recurrence = payload.pop("recurrence")
        with database().transaction() as session:
            return service.request_series(session, identity, payload.pop("room"), **payload, **recurrence, now=now())


@series.route("/<series_id>")
class SeriesItem(MethodView):
    @series.response(200, SeriesResultSchema)
    @series.doc(security=[{"identity": []}])
    def get(self, series_id):
        """A series and its occurrences (its requester, veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.get_series(session, series_id, identity)


@series.route("/<series_id>/cancel")
class SeriesCancel(MethodView):
    @series.arguments(SeriesCancelSchema)
    @series.response(200, ReservationSchema(many=True))
    @series.doc(security=[{"identity": []}])
    def post(self, payload, series_id):
        """Cancel the rest of a series, from `from` (default now); gives the cancelled occurrences."""
        identity = current_identity()
        with database().transaction() as session:
            return service.cancel_series(session, series_id, identity, payload.get("starts_from"))


# -- closures --------------------------------------------------------------------------------------

closures = Blueprint("closures", __name__, url_prefix="/closures", description="Closures of a site or a room")


@closures.route("")
class Closures(MethodView):
    @closures.arguments(ClosureQuerySchema, location="query")
    @closures.response(200, ClosureSchema(many=True))
    def get(self, query):
        """List the closures of a site (anyone)."""
        with database().transaction() as session:
            return service.list_closures(session, query.get("site"), query.get("starts_from"), query.get("room"))

    @roles_required(*STAFF)
    @closures.arguments(ClosureCreateSchema)
    @closures.response(201, ClosureSchema)
    @closures.doc(security=[{"identity": []}])
    def post(self, payload):
        """Close a site, or one room of it, for a while: holidays, works (veilleur, admin)."""
        with database().transaction() as session:
            return service.create_closure(session, **payload)


@closures.route("/<closure_id>")
class ClosureItem(MethodView):
    @roles_required(*STAFF)
    @closures.response(204)
    @closures.doc(security=[{"identity": []}])
    def delete(self, closure_id):
        """Remove a closure (veilleur, admin)."""
        with database().transaction() as session:
            service.delete_closure(session, closure_id)


# -- availability ----------------------------------------------------------------------------------

availability = Blueprint("availability", __name__, url_prefix="/availability",
                         description="Free and busy time of rooms")


@availability.route("")
class Availability(MethodView):
    @availability.arguments(AvailabilityQuerySchema, location="query")
    @availability.response(200, AvailabilitySchema)
    def get(self, query):
        """Free and busy spans of a room (`room`) or of every room of a site (`site`) (anyone)."""
        with database().transaction() as session:
            return service.availability(session, query["starts_from"], query["until"],
                                        room_id=query.get("room"), site=query.get("site"))


@availability.route("/first-free")
class FirstFree(MethodView):
    @availability.arguments(FirstFreeQuerySchema, location="query")
    @availability.response(200, SlotSchema)
    def get(self, query):
        """The first free slot of a room, or of any fitting room of a site, for a duration (anyone)."""
        with database().transaction() as session:
            return service.first_free_slot(session, query.get("starts_from") or utcnow(),
                                           query["duration_minutes"], query["attendees"],
                                           room_id=query.get("room"), site=query.get("site"))


# -- calendars -------------------------------------------------------------------------------------

calendars = Blueprint("calendars", __name__, url_prefix="/calendars", description="iCalendar feeds")
ICS = "text/calendar; charset=utf-8"
FEED_RESPONSE = {"200": {"description": "an RFC 5545 calendar",
                         "content": {"text/calendar": {"schema": {"type": "string"}}}},
                 "404": {"description": "unknown room, site, organisation or token"}}


def ics_response(body: bytes, name: str) -> Response:
    return Response(body, mimetype="text/calendar", headers={
        "Content-Type": ICS, "Content-Disposition": f'inline; filename="{name}.ics"',
        "Cache-Control": "no-cache"})


@calendars.route("/rooms/<room_id>.ics")
class RoomFeed(MethodView):
    @calendars.doc(responses=FEED_RESPONSE)
    def get(self, room_id):
        """Public reservations of a room, as an iCalendar feed (anyone)."""
        with database().transaction() as session:
            room = service.get_room(session, room_id)
            body = service.room_feed(session, room, now())
        return ics_response(body, f"room-{room.id}")


@calendars.route("/sites/<site>.ics")
class SiteFeed(MethodView):
    @calendars.doc(responses=FEED_RESPONSE)
    def get(self, site):
        """Public reservations of every room of a site, as an iCalendar feed (anyone)."""
        with database().transaction() as session:
            found = service.find_site(session, site)
            if found is None:
                raise not_found("Site")
            body = service.site_feed(session, found, now())
        return ics_response(body, found.slug)


@calendars.route("/organisations/<organisation_id>.ics")
class OrganisationFeed(MethodView):
    @calendars.arguments(FeedQuerySchema, location="query")
    @calendars.doc(responses=FEED_RESPONSE)
    def get(self, query, organisation_id):
        """An organisation's own reservations; the address holds its secret token."""
        with database().transaction() as session:
            body = service.organisation_feed(session, organisation_id, query.get("token"), now())
        return ics_response(body, f"organisation-{organisation_id}")


@calendars.route("/organisations/<organisation_id>/token")
class OrganisationFeedToken(MethodView):
    @organisation_member_or_staff
    @calendars.response(201, CalendarTokenSchema)
    @calendars.doc(security=[{"identity": []}])
    @no_store
    def post(self, organisation_id):
        """Make or rotate the secret token of the organisation's feed (its members, veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            token = service.rotate_calendar_token(session, identity, organisation_id)
        return {"organisation_id": organisation_id, "token": token,
                "feed": f"/calendars/organisations/{organisation_id}.ics?token={token}"}
