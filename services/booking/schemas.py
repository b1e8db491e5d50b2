"""Request and response schemas of the booking API."""
from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from shared.identity import ORGANISATION_KINDS

RATE_KINDS = (*ORGANISATION_KINDS, "individual")
MAX_CENTS = 10_000_000


class RateSchema(Schema):
    hour = fields.Integer(required=True, validate=validate.Range(0, MAX_CENTS),
                          metadata={"description": "cents per hour"})
    half_day = fields.Integer(required=True, validate=validate.Range(0, MAX_CENTS),
                              metadata={"description": "cents per half-day (up to 4 hours)"})
    day = fields.Integer(required=True, validate=validate.Range(0, MAX_CENTS),
                         metadata={"description": "cents per day"})
    money_box = fields.Boolean(load_default=False,
                               metadata={"description": "free, with a gift to the money box welcome"})


class RatesSchema(Schema):
    association = fields.Nested(RateSchema)
    citizen_group = fields.Nested(RateSchema)
    public_body = fields.Nested(RateSchema)
    company = fields.Nested(RateSchema)
    individual = fields.Nested(RateSchema, metadata={"description": "a person booking without an organisation"})


class RoomCreateSchema(Schema):
    site = fields.String(required=True, validate=validate.Length(1, 80),
                         metadata={"description": "site id or slug"})
    name = fields.String(required=True, validate=validate.Length(1, 120))
    capacity = fields.Integer(required=True, validate=validate.Range(1, 1000))
    equipment = fields.List(fields.String(validate=validate.Length(1, 80)),
                            load_default=list, validate=validate.Length(max=50))
    accessibility = fields.String(load_default="", validate=validate.Length(max=2000))
    currency = fields.String(load_default="EUR", validate=validate.OneOf(["EUR"]))
    rates = fields.Nested(RatesSchema, load_default=dict)


class RoomUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(1, 120))
    capacity = fields.Integer(validate=validate.Range(1, 1000))
    equipment = fields.List(fields.String(validate=validate.Length(1, 80)), validate=validate.Length(max=50))
    accessibility = fields.String(validate=validate.Length(max=2000))
    rates = fields.Nested(RatesSchema)

    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class RoomSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    name = fields.String()
    capacity = fields.Integer()
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
