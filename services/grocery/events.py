"""Event types the grocery service publishes and consumes, and the data schemas of those it consumes."""
from marshmallow import EXCLUDE, Schema, fields, validate

from shared.sites import SITE_EVENTS

SOURCE = "grocery"
HOUSEHOLD_REGISTERED = "grocery.household.registered"
HOUSEHOLD_RENEWED = "grocery.household.renewed"
HOUSEHOLD_EXPIRED = "grocery.household.expired"
HOUSEHOLD_ENDED = "grocery.household.ended"
SALE_COMPLETED = "grocery.sale.completed"
STOCK_LOW = "grocery.stock.low"
LOT_EXPIRING = "grocery.lot.expiring"

BASKET_UNCLAIMED = "relay.basket.unclaimed"
ACCOUNT_ERASED = "identity.account.erased"

PUBLISHED = (HOUSEHOLD_REGISTERED, HOUSEHOLD_RENEWED, HOUSEHOLD_EXPIRED, HOUSEHOLD_ENDED, SALE_COMPLETED,
             STOCK_LOW, LOT_EXPIRING)
CONSUMED = (*SITE_EVENTS, BASKET_UNCLAIMED, ACCOUNT_ERASED)


class BasketUnclaimedData(Schema):
    """`relay.basket.unclaimed`: a basket nobody collected, given to the grocery of the site."""

    class Meta:
        unknown = EXCLUDE

    basket_id = fields.String(required=True, validate=validate.Length(1, 64))
    distribution_id = fields.String(required=True, validate=validate.Length(1, 64))
    site_id = fields.String(required=True, validate=validate.Length(1, 36))
    distribution_date = fields.Date(required=True)
    producer_id = fields.String(load_default=None, validate=validate.Length(1, 64))
    basket_kind = fields.String(load_default="basket", validate=validate.Length(1, 60))
    # A code, never text a person typed: an unknown one (a newer relay) is taken as a mixed basket.
    category = fields.String(load_default="mixed", validate=validate.Length(1, 40))
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, 1000))


class AccountErasedData(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.String(required=True, validate=validate.Length(1, 80))
