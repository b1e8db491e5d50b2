"""Request and response schemas of the relay API."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.relay.service import BASKET_CATEGORIES, ROLES, WEEKDAYS
from shared.fields import Cents, Integer

MAX_CENTS = 1_000_000
HHMM = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="give a time as HH:MM, e.g. 18:00")
ACCOUNT_ID = validate.Length(1, 64)


class SiteSchema(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    timezone = fields.String()


# -- producers -------------------------------------------------------------------------------
class ProducerCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200), metadata={"description": "farm name"})
    contact = fields.String(load_default="", validate=validate.Length(max=500),
                            metadata={"description": "how the veilleurs reach the producer"})
    produce = fields.String(load_default="", validate=validate.Length(max=2000),
                            metadata={"description": "what they grow"})


class ProducerUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    contact = fields.String(validate=validate.Length(max=500))
    produce = fields.String(validate=validate.Length(max=2000))

    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class ProducerSchema(Schema):
    id = fields.String()
    name = fields.String()
    contact = fields.String()
    produce = fields.String()
    created_at = fields.DateTime()


# -- contracts -------------------------------------------------------------------------------
class BasketKindInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 40), metadata={"example": "small"})
    description = fields.String(load_default="", validate=validate.Length(max=500))
    category = fields.String(load_default="vegetables", validate=validate.OneOf(BASKET_CATEGORIES),
                             metadata={"description": "what the basket holds; the only thing the grocery is told"})
    price_cents = Cents(0, MAX_CENTS, required=True,
                        metadata={"description": "price of one basket, cents"})
    solidarity_price_cents = Integer(load_default=None, allow_none=True,
                                     validate=validate.Range(0, MAX_CENTS),
                                     metadata={"description": "reduced price of a solidarity share"})

    @validates_schema
    def _solidarity_is_reduced(self, data, **_kwargs):
        reduced = data.get("solidarity_price_cents")
        if reduced is not None and reduced > data.get("price_cents", MAX_CENTS):
            raise ValidationError("a solidarity price is at most the full price", "solidarity_price_cents")


class BasketKindSchema(Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String()
    category = fields.String()
    price_cents = Integer()
    solidarity_price_cents = Integer(allow_none=True)


class ContractCreateSchema(Schema):
    producer_id = fields.String(required=True, validate=validate.Length(1, 36))
    site = fields.String(required=True, validate=validate.Length(1, 80), metadata={"description": "site id or slug"})
    name = fields.String(required=True, validate=validate.Length(1, 200))
    weekday = fields.String(required=True, validate=validate.OneOf(WEEKDAYS))
    window_opens = fields.String(required=True, validate=HHMM, metadata={"example": "18:00"})
    window_closes = fields.String(required=True, validate=HHMM, metadata={"example": "20:00"})
    season_start = fields.Date(required=True)
    season_end = fields.Date(required=True)
    basket_kinds = fields.List(fields.Nested(BasketKindInSchema), required=True,
                               validate=validate.Length(1, 10))
    skip_dates = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=60),
                             metadata={"description": "days of the season without a distribution (holidays): "
                                                      "each one a `weekday` between the season's start and end"})
    max_shares = Integer(load_default=None, allow_none=True, validate=validate.Range(1, 10_000),
                         metadata={"description": "shares on offer; none means no limit"})
    absence_allowance = Integer(load_default=0, validate=validate.Range(0, 60),
                                metadata={"description": "absences each share may declare in the season"})
    absence_cutoff_hours = Integer(load_default=48, validate=validate.Range(0, 24 * 14),
                                   metadata={"description": "absences close this long before the window"})
    absent_baskets = fields.String(load_default="not_prepared", validate=validate.OneOf(["not_prepared", "offered"]),
                                   metadata={"description": "an absent basket is not prepared, or is offered "
                                             "to the waiting neighbours"})
    openers_needed = Integer(load_default=1, validate=validate.Range(0, 10))
    distributors_needed = Integer(load_default=1, validate=validate.Range(0, 10))
    currency = fields.String(load_default="EUR", validate=validate.OneOf(["EUR"]))


class ContractSchema(Schema):
    id = fields.String()
    producer_id = fields.String()
    producer_name = fields.Function(lambda c: c.producer.name)
    site_id = fields.String()
    name = fields.String()
    weekday = fields.String()
    window_opens = fields.String()
    window_closes = fields.String()
    season_start = fields.Date()
    season_end = fields.Date()
    basket_kinds = fields.List(fields.Nested(BasketKindSchema))
    max_shares = Integer(allow_none=True)
    absence_allowance = Integer()
    absence_cutoff_hours = Integer()
    absent_baskets = fields.String()
    openers_needed = Integer()
    distributors_needed = Integer()
    currency = fields.String()
    created_at = fields.DateTime()


class SiteQuerySchema(Schema):
    site = fields.String(validate=validate.Length(1, 80), metadata={"description": "site id or slug"})


# -- subscriptions ---------------------------------------------------------------------------
class SubscriptionCreateSchema(Schema):
    basket_kind = fields.String(required=True, validate=validate.Length(1, 40))
    quantity = Integer(load_default=1, validate=validate.Range(1, 10))
    solidarity = fields.Boolean(load_default=False, metadata={"description": "a reduced-price solidarity share"})
    partner_account_id = fields.String(load_default=None, allow_none=True, validate=ACCOUNT_ID,
                                       metadata={"description": "the account that takes every other week"})
    display_name = fields.String(load_default="", validate=validate.Length(max=120),
                                 metadata={"description": "the name the veilleurs call you by (sign-in sheet)"})
    partner_display_name = fields.String(load_default="", validate=validate.Length(max=120))


class SubscriptionSchema(Schema):
    id = fields.String()
    contract_id = fields.String()
    basket_kind = fields.String()
    quantity = Integer()
    account_id = fields.String(allow_none=True)
    partner_account_id = fields.String(allow_none=True)
    display_name = fields.String()
    partner_display_name = fields.String()
    solidarity = fields.Boolean()
    unit_price_cents = Integer()
    currency = fields.String()
    distributions = Integer(metadata={"description": "distributions this share has a basket at"})
    total_cents = Integer()
    absences_used = Integer()
    absence_allowance = Integer()
    collected = Integer()
    unclaimed = Integer()
    created_at = fields.DateTime()


class MineQuerySchema(Schema):
    mine = fields.Boolean(load_default=True, metadata={"description": "only mine (staff may pass false)"})
    contract = fields.String(validate=validate.Length(1, 36))
    upcoming = fields.Boolean(load_default=False)


# -- distributions ---------------------------------------------------------------------------
class DistributionSchema(Schema):
    id = fields.String()
    contract_id = fields.String()
    site_id = fields.String()
    producer_name = fields.Function(lambda d: d.contract.producer.name)
    sequence = Integer()
    date = fields.Date()
    starts_at = fields.Function(lambda d: _local(d, d.starts_at))
    ends_at = fields.Function(lambda d: _local(d, d.ends_at))
    status = fields.String(metadata={"description": "scheduled, cancelled or closed"})
    delivered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


def _local(distribution, moment) -> str:
    from services.relay.service import local_time

    return local_time(moment, distribution.site).isoformat()


class DistributionQuerySchema(Schema):
    contract = fields.String(validate=validate.Length(1, 36))
    site = fields.String(validate=validate.Length(1, 80), metadata={"description": "site id or slug"})
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")


class MoveSchema(Schema):
    date = fields.Date()
    window_opens = fields.String(validate=HHMM)
    window_closes = fields.String(validate=HHMM)

    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give a new date or pickup window.", "_schema")


class DeliveryCheckInSchema(Schema):
    arrived = fields.Dict(keys=fields.String(validate=validate.Length(1, 40)),
                          values=Integer(validate=validate.Range(0, 10_000,
                                                   error="a count of baskets is 0 or more")),
                          required=True, validate=validate.Length(1, 10),
                          metadata={"description": "baskets that arrived, per basket kind name",
                                    "example": {"small": 12, "large": 8}})


class DeliveryLineSchema(Schema):
    basket_kind = fields.String()
    expected = Integer()
    arrived = Integer(allow_none=True)
    shortfall = Integer(allow_none=True)
    collected = Integer()


class DeliverySchema(Schema):
    distribution_id = fields.String()
    checked_in = fields.Boolean()
    checked_in_at = fields.DateTime(allow_none=True)
    kinds = fields.List(fields.Nested(DeliveryLineSchema))
    shortfall = Integer()


class CollectionSchema(Schema):
    code = fields.String(validate=validate.Length(1, 20), metadata={"description": "pickup or proxy code"})
    basket_id = fields.String(validate=validate.Length(1, 36))
    account_id = fields.String(validate=ACCOUNT_ID, metadata={"description": "the subscriber or their proxy"})

    @validates_schema
    def _exactly_one(self, data, **_kwargs):
        if len(data) != 1:
            raise ValidationError("Give exactly one of code, basket_id or account_id.", "_schema")


class ClosingSchema(Schema):
    distribution_id = fields.String()
    status = fields.String()
    closed_at = fields.DateTime()
    baskets = fields.Dict(keys=fields.String(), values=Integer())
    unclaimed = fields.List(fields.String())


class BasketSchema(Schema):
    id = fields.String()
    distribution_id = fields.String()
    contract_id = fields.String()
    site_id = fields.String()
    distribution_date = fields.Date()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    producer_name = fields.String()
    basket_kind = fields.String()
    quantity = Integer()
    status = fields.String(metadata={"description": "expected, absent, offered, collected, unclaimed, "
                                     "not_delivered or cancelled"})
    collected_at = fields.DateTime(allow_none=True)
    subscription_id = fields.String()
    account_id = fields.String(allow_none=True)
    pickup_code = fields.String(allow_none=True, metadata={"description": "only for the one who holds it"})
    proxy = fields.String(allow_none=True, metadata={"description": "account, code, or none"})
    proxy_code = fields.String(allow_none=True)
    proxy_account_id = fields.String(allow_none=True)
    role = fields.String(metadata={"description": "proxy when you collect it for someone"})
    name = fields.String(metadata={"description": "for the veilleurs: who collects it"})


class ProxySchema(Schema):
    account_id = fields.String(load_default=None, allow_none=True, validate=ACCOUNT_ID,
                               metadata={"description": "the proxy's account; omit for a one-off code"})


# -- roster ----------------------------------------------------------------------------------
class RosterSignUpSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String(load_default="", validate=validate.Length(max=120))


class VolunteerSchema(Schema):
    account_id = fields.String(allow_none=True)
    display_name = fields.String()


class RosterRoleSchema(Schema):
    role = fields.String()
    needed = Integer()
    volunteers = fields.List(fields.Nested(VolunteerSchema))


class RosterSchema(Schema):
    distribution_id = fields.String()
    roles = fields.List(fields.Nested(RosterRoleSchema))
    staffed = fields.Boolean()
