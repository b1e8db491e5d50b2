"""Event types the grocery service publishes and consumes: the contract of each published one's data, and the
schemas it reads consumed ones with."""
from marshmallow import EXCLUDE, Schema, fields, validate

from shared.bus.contracts import (
    Amount,
    Contract,
    Day,
    EventData,
    Id,
    ListOf,
    Object,
    Text,
    Whole,
    example_id,
    publishes,
    reads,
)
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

CONSUMED = (*SITE_EVENTS, BASKET_UNCLAIMED, ACCOUNT_ERASED)

UNITS = ("piece", "kg", "l")
SITE = example_id("site:la-coroutine")
HOUSEHOLD = example_id("household:1")
PRODUCT = example_id("product:pates")


class HouseholdData(EventData):
    household_id = Id("opaque id of the household (also the `subject`)", example=HOUSEHOLD)
    site_id = Id("the site whose grocery it uses", example=SITE)
    status = Text("what the site's rule judged", choices=("eligible", "ineligible"), example="eligible")
    eligible_until = Day("last day of the access period; null when not eligible", nullable=True,
                         example="2027-02-22")
    monthly_cap_cents = Whole("what the household may spend a month at solidarity prices, cents; 0 when not "
                              "eligible", example=4500)


class HouseholdExpiredData(EventData):
    household_id = Id("opaque id of the household (also the `subject`)", example=HOUSEHOLD)
    site_id = Id("the site", example=SITE)
    eligible_until = Day("the last day it was eligible", example="2027-02-22")


class HouseholdEndedData(EventData):
    household_id = Id("opaque id of the household (also the `subject`)", example=HOUSEHOLD)
    site_id = Id("the site", example=SITE)


class SaleLineData(EventData):
    product_id = Id("the product", example=PRODUCT)
    kind = Text("`goods`, or `deposit_return` (containers brought back)", choices=("goods", "deposit_return"),
                example="goods")
    unit = Text("the product's unit", choices=UNITS, example="piece")
    quantity = Amount("quantity in that unit (`kg` and `l`: up to 3 decimals)", example=2)
    percentage = Whole("of the retail price charged (100 in the shop)", maximum=100, example=20)
    amount_cents = Whole("charged for the goods, cents", example=70)
    deposit_cents = Whole("deposit charged, cents; negative for a return", minimum=None, example=0)


class SaleData(EventData):
    sale_id = Id("the sale (also the `subject`)", example=example_id("sale:1"))
    site_id = Id("the site", example=SITE)
    kind = Text("`solidarity` (a household at reduced prices) or `shop` (anyone, normal price)",
                choices=("solidarity", "shop"), example="solidarity")
    payment_method = Text("how it was paid", choices=("cash", "card", "cheque", "transfer", "meal_voucher"),
                          example="cash")
    currency = Text("currency of the amounts", choices=("EUR",), example="EUR")
    goods_cents = Whole("the goods, at the price actually charged", example=118)
    deposit_cents = Whole("deposits charged on returnable containers", example=0)
    deposit_returned_cents = Whole("deposits paid back for containers brought back", example=0)
    amount_due_cents = Whole("goods + deposit - deposit_returned (negative: money given back)", minimum=None,
                             example=118)
    lines = ListOf(Object(SaleLineData, "one product"), "one per product", example=[
        {"product_id": PRODUCT, "kind": "goods", "unit": "piece", "quantity": 2, "percentage": 20,
         "amount_cents": 70, "deposit_cents": 0},
        {"product_id": example_id("product:pommes"), "kind": "goods", "unit": "kg", "quantity": 1.2,
         "percentage": 10, "amount_cents": 48, "deposit_cents": 0}])


class StockLowData(EventData):
    product_id = Id("the product (also the `subject`)", example=PRODUCT)
    site_id = Id("the site", example=SITE)
    unit = Text("the product's unit", choices=UNITS, example="piece")
    quantity = Amount("stock left, in that unit", example=3)
    threshold = Amount("the product's threshold", example=5)


class LotExpiringData(EventData):
    lot_id = Id("the lot (also the `subject`)", example=example_id("lot:1"))
    product_id = Id("its product", example=PRODUCT)
    site_id = Id("the site", example=SITE)
    expiry_date = Day("the date printed on it", example="2026-11-24")
    expiry_kind = Text("`dlc` (use-by: never sold after) or `ddm` (best-before: may be sold after, flagged)",
                       choices=("dlc", "ddm"), example="dlc")
    unit = Text("the product's unit", choices=UNITS, example="piece")
    quantity = Amount("quantity left in the lot", example=6)


PUBLISHED = publishes(
    SOURCE,
    Contract(HOUSEHOLD_REGISTERED, HouseholdData, "A referred household was registered and judged.",
             subject="household_id"),
    Contract(HOUSEHOLD_RENEWED, HouseholdData, "A household was renewed and judged again.",
             subject="household_id"),
    Contract(HOUSEHOLD_EXPIRED, HouseholdExpiredData, "The access period of a household ended.",
             subject="household_id"),
    Contract(HOUSEHOLD_ENDED, HouseholdEndedData, "A referent ended a household's access before its term (it "
             "moved away, its situation changed); the household is kept with its decisions.",
             subject="household_id"),
    Contract(SALE_COMPLETED, SaleData, "A sale at the till: amounts and products, never the household.",
             subject="sale_id"),
    Contract(STOCK_LOW, StockLowData, "A product's stock fell below its threshold.", subject="product_id"),
    Contract(LOT_EXPIRING, LotExpiringData, "A lot in stock reaches its expiry date within days.",
             subject="lot_id"),
)


@reads(BASKET_UNCLAIMED)
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


@reads(ACCOUNT_ERASED)
class AccountErasedData(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.String(required=True, validate=validate.Length(1, 80))
