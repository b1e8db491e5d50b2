"""Request and response schemas of the booking API."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.booking.models import ROOM_KINDS
from services.booking.service import MAX_BUFFER_MINUTES, MAX_DURATION_MINUTES
from shared.fields import Cents, Integer
from shared.identity import ORGANISATION_KINDS

RATE_KINDS = (*ORGANISATION_KINDS, "individual")
MAX_CENTS = 10_000_000
MAX_DESKS = 1000
KIND = "what the room is for: meeting, event, workshop or coworking"
DESKS = "coworking desks in the room (0: none); at most its capacity"


class RateSchema(Schema):
    hour = Integer(required=True, validate=validate.Range(0, MAX_CENTS),
                   metadata={"description": "cents per hour"})
    half_day = Integer(required=True, validate=validate.Range(0, MAX_CENTS),
                       metadata={"description": "cents per half-day (up to 4 hours)"})
    day = Integer(required=True, validate=validate.Range(0, MAX_CENTS),
                  metadata={"description": "cents per day"})
    money_box = fields.Boolean(load_default=False,
                               metadata={"description": "free, with a gift to the money box welcome"})


class RatesSchema(Schema):
    association = fields.Nested(RateSchema)
    citizen_group = fields.Nested(RateSchema)
    public_body = fields.Nested(RateSchema)
    company = fields.Nested(RateSchema)
    individual = fields.Nested(RateSchema, metadata={"description": "a person booking without an organisation"})


class RoomPolicySchema(Schema):
    """How a room is booked; every field is optional and has a default (see docs/booking.md)."""

    approval_required_for = fields.List(
        fields.String(validate=validate.OneOf(RATE_KINDS)), validate=validate.Length(max=len(RATE_KINDS)),
        metadata={"description": "rate kinds whose requests wait for a veilleur's approval; the others "
                                 "are confirmed at once (default: every organisation kind)"})
    min_duration_minutes = Integer(validate=validate.Range(5, 24 * 60))
    max_duration_minutes = Integer(validate=validate.Range(5, MAX_DURATION_MINUTES))
    horizon_days = Integer(validate=validate.Range(1, 730),
                           metadata={"description": "how many days ahead one may book"})
    buffer_minutes = Integer(validate=validate.Range(0, MAX_BUFFER_MINUTES),
                             metadata={"description": "free time kept after each booking"})


class RoomCreateSchema(RoomPolicySchema):
    site = fields.String(required=True, validate=validate.Length(1, 80),
                         metadata={"description": "site id or slug"})
    name = fields.String(required=True, validate=validate.Length(1, 120))
    kind = fields.String(load_default="meeting", validate=validate.OneOf(ROOM_KINDS),
                         metadata={"description": KIND})
    capacity = Integer(required=True, validate=validate.Range(1, 1000))
    desks = Integer(load_default=0, validate=validate.Range(0, MAX_DESKS), metadata={"description": DESKS})
    equipment = fields.List(fields.String(validate=validate.Length(1, 80)),
                            load_default=list, validate=validate.Length(max=50))
    accessibility = fields.String(load_default="", validate=validate.Length(max=2000))
    currency = fields.String(load_default="EUR", validate=validate.OneOf(["EUR"]))
    rates = fields.Nested(RatesSchema, load_default=dict)


class RoomUpdateSchema(RoomPolicySchema):
    name = fields.String(validate=validate.Length(1, 120))
    kind = fields.String(validate=validate.OneOf(ROOM_KINDS), metadata={"description": KIND})
    capacity = Integer(validate=validate.Range(1, 1000))
    desks = Integer(validate=validate.Range(0, MAX_DESKS), metadata={"description": DESKS})
    equipment = fields.List(fields.String(validate=validate.Length(1, 80)), validate=validate.Length(max=50))
    accessibility = fields.String(validate=validate.Length(max=2000))
    rates = fields.Nested(RatesSchema)

    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class RoomSchema(RoomPolicySchema):
    id = fields.String()
    site_id = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": KIND})
    capacity = Integer()
    desks = Integer(metadata={"description": DESKS})
    equipment = fields.List(fields.String())
    accessibility = fields.String()
    currency = fields.String()
    rates = fields.Nested(RatesSchema)
    status = fields.String(metadata={"description": "active or retired"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class RoomQuerySchema(Schema):
    site = fields.String(validate=validate.Length(1, 80), metadata={"description": "site id or slug"})
    include_retired = fields.Boolean(load_default=False)


# -- reservations ----------------------------------------------------------------------------------

STATUSES = ("requested", "confirmed", "declined", "cancelled")
FREQUENCIES = ("weekly", "biweekly", "monthly_by_weekday")


def moment(description: str = "RFC 3339 with an offset", **kwargs) -> fields.AwareDateTime:
    return fields.AwareDateTime(metadata={"description": description}, **kwargs)


class ReservationCreateSchema(Schema):
    room = fields.String(required=True, validate=validate.Length(1, 36), metadata={"description": "room id"})
    starts_at = moment(required=True)
    ends_at = moment(required=True)
    attendees = Integer(required=True, validate=validate.Range(1, 1000))
    desks = Integer(validate=validate.Range(0, MAX_DESKS), metadata={
        "description": "in a room with coworking desks: how many it takes from coworkers (default: all)"})
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                          metadata={"description": "shown in the public calendars when public"})
    public = fields.Boolean(load_default=False, metadata={"description": "shown in the public calendars"})


class RecurrenceSchema(Schema):
    frequency = fields.String(required=True, validate=validate.OneOf(FREQUENCIES),
                              metadata={"description": "weekly, biweekly (every second week) or "
                                                       "monthly_by_weekday (e.g. the 2nd Tuesday)"})
    until = fields.Date(metadata={"description": "last local date (included)"})
    count = Integer(validate=validate.Range(1, 104))

    @validates_schema
    def _until_or_count(self, data, **_kwargs):
        if ("until" in data) == ("count" in data):
            raise ValidationError("Give either until or count.", "until")


class SeriesCreateSchema(ReservationCreateSchema):
    recurrence = fields.Nested(RecurrenceSchema, required=True)


class PriceLineSchema(Schema):
    unit = fields.String(metadata={"description": "day, half_day or hour"})
    quantity = Integer()
    unit_cents = Integer()
    cents = Integer()


class ReservationPublicSchema(Schema):
    """What anyone may see of a confirmed public reservation."""

    id = fields.String()
    room_id = fields.String()
    site_id = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    attendees = Integer()
    desks = Integer(metadata={"description": "coworking desks it takes (0 in a room without desks)"})
    title = fields.String(allow_none=True)
    public = fields.Boolean()
    status = fields.String()


class ReservationSchema(ReservationPublicSchema):
    series_id = fields.String(allow_none=True)
    blocked_until = fields.DateTime(metadata={"description": "end of the span held, buffer included"})
    requester_id = fields.String(allow_none=True)
    organisation_id = fields.String(allow_none=True)
    rate_kind = fields.String()
    decline_reason = fields.String(allow_none=True, metadata={"description": "why a veilleur declined it"})
    confirm_reason = fields.String(allow_none=True, metadata={
        "description": "what the veilleur who confirmed it said to the requester, if anything"})
    currency = fields.String()
    list_price_cents = Integer(metadata={"description": "price computed when booked"})
    price_cents = Integer(metadata={"description": "price due, after any waiver or reduction"})
    price_breakdown = fields.List(fields.Nested(PriceLineSchema))
    money_box = fields.Boolean(metadata={"description": "free, a gift to the money box is welcome"})
    price_reason = fields.String(allow_none=True)
    contribution_cents = Integer(metadata={"description": "pay-what-you-can gift recorded"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


class ReservationQuerySchema(Schema):
    mine = fields.Boolean(load_default=False, metadata={"description": "only mine (always so for non-veilleurs)"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    site = fields.String(validate=validate.Length(1, 80))
    room = fields.String(validate=validate.Length(1, 36))
    starts_from = moment(data_key="from")
    until = moment(data_key="to")


class DeclineSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 1000),
                           metadata={"description": "shown to the requester"})


class ConfirmSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 1000),
                           metadata={"description": "optional word for the requester, e.g. where the key is"})


class PriceAdjustmentSchema(Schema):
    price_cents = Cents(0, MAX_CENTS, required=True,
                        metadata={"description": "0 waives the price"})
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class ContributionSchema(Schema):
    amount_cents = Cents(0, MAX_CENTS, required=True)


class QuoteQuerySchema(Schema):
    room = fields.String(required=True, validate=validate.Length(1, 36))
    starts_at = moment(required=True)
    ends_at = moment(required=True)
    organisation_kind = fields.String(validate=validate.OneOf(RATE_KINDS),
                                      metadata={"description": "default: the caller's organisation kind"})


class QuoteSchema(Schema):
    room_id = fields.String()
    site_id = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    minutes = Integer()
    rate_kind = fields.String()
    currency = fields.String()
    total_cents = Integer()
    lines = fields.List(fields.Nested(PriceLineSchema))
    money_box = fields.Boolean()
    needs_approval = fields.Boolean()


class SeriesSchema(Schema):
    id = fields.String()
    room_id = fields.String()
    frequency = fields.String()
    until = fields.Date(allow_none=True)
    count = Integer(allow_none=True)


class SkippedSchema(Schema):
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    rule = fields.String(metadata={"description": "the rule this occurrence breaks, e.g. overlap"})
    detail = fields.String()
    conflict = fields.Dict(allow_none=True)


class SeriesResultSchema(Schema):
    series = fields.Nested(SeriesSchema)
    created = fields.List(fields.Nested(ReservationSchema))
    skipped = fields.List(fields.Nested(SkippedSchema))


class SeriesCancelSchema(Schema):
    starts_from = moment("cancel the occurrences from here (default now)", data_key="from")


class ClosureCreateSchema(Schema):
    site = fields.String(required=True, validate=validate.Length(1, 80), metadata={"description": "site id or slug"})
    room = fields.String(validate=validate.Length(1, 36),
                         metadata={"description": "close only this room of the site (default: the whole site)"})
    starts_at = moment(required=True)
    ends_at = moment(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=200),
                           metadata={"description": "e.g. holidays, works"})


class ClosureSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    room_id = fields.String(allow_none=True, metadata={"description": "the room closed; null: the whole site"})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    reason = fields.String()
    affected_reservations = fields.List(fields.String(), metadata={
        "description": "when created: active reservations during the closure, left for a veilleur to handle"})


class ClosureQuerySchema(Schema):
    site = fields.String(validate=validate.Length(1, 80))
    room = fields.String(validate=validate.Length(1, 36),
                         metadata={"description": "the closures that close this room: its site's and its own"})
    starts_from = moment(data_key="from")


class AvailabilityQuerySchema(Schema):
    room = fields.String(validate=validate.Length(1, 36))
    site = fields.String(validate=validate.Length(1, 80))
    starts_from = moment(data_key="from", required=True)
    until = moment(data_key="to", required=True)


class SpanSchema(Schema):
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()


class BusySchema(SpanSchema):
    status = fields.String()


class RoomAvailabilitySchema(Schema):
    room_id = fields.String()
    name = fields.String()
    capacity = Integer()
    busy = fields.List(fields.Nested(BusySchema), metadata={"description": "held spans, buffer included"})
    free = fields.List(fields.Nested(SpanSchema), metadata={"description": "open and not held"})


class AvailabilitySchema(Schema):
    site_id = fields.String()
    timezone = fields.String()
    starts_from = fields.DateTime(data_key="from")
    until = fields.DateTime(data_key="to")
    closures = fields.List(fields.Nested(SpanSchema))
    rooms = fields.List(fields.Nested(RoomAvailabilitySchema))


class FirstFreeQuerySchema(Schema):
    room = fields.String(validate=validate.Length(1, 36))
    site = fields.String(validate=validate.Length(1, 80))
    starts_from = moment("search from here (default now)", data_key="from")
    duration_minutes = Integer(text=True, required=True, validate=validate.Range(5, 24 * 60))
    attendees = Integer(text=True, load_default=1, validate=validate.Range(1, 1000))


class SlotSchema(Schema):
    room_id = fields.String()
    site_id = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()


class CalendarTokenSchema(Schema):
    organisation_id = fields.String()
    token = fields.String(metadata={"description": "shown once; rotating it again revokes it"})
    feed = fields.String(metadata={"description": "path of the private feed, token included"})


class FeedQuerySchema(Schema):
    token = fields.String(validate=validate.Length(1, 200))
