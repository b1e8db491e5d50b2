"""Request and response schemas of the grocery API."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.grocery.models import UNIT_SCALE
from services.grocery.service import PAYMENT_METHODS, from_base
from shared.fields import Cents, Integer

MAX_CENTS = 10_000_000
SITE_REF = {"validate": validate.Length(1, 80), "metadata": {"description": "site id or slug"}}


def quantity_range(minimum_exclusive: bool = True):
    """0 < q (or 0 <= q) <= 100000; a plain function, so that the OpenAPI bounds stay numbers."""

    def check(value):
        if value > 100_000 or value < 0 or (minimum_exclusive and value == 0):
            raise ValidationError("give a quantity " + ("above 0" if minimum_exclusive else "of 0 or more")
                                  + " and at most 100000")

    return check


def Quantity(description: str = "", **kwargs) -> fields.Decimal:
    return fields.Decimal(allow_nan=False, validate=quantity_range(),
                          metadata={"description": (description + "; " if description else "")
                                    + "in the product's unit: whole pieces, or kg / l with up to 3 decimals"},
                          **kwargs)


class SiteSchema(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    timezone = fields.String()


# -- rules -------------------------------------------------------------------------------------

class RulesSchema(Schema):
    threshold_cents_per_day = Cents(1, 100_000, required=True, metadata={
        "description": "eligible when (resources - fixed charges) / household size / 30 is strictly "
                       "under this, in cents per person per day"})
    access_months = Integer(required=True, validate=validate.Range(1, 24))
    monthly_caps_cents = fields.List(Cents(0, 1_000_000), required=True, validate=validate.Length(1, 12),
                                     metadata={"description": "monthly cap for a household of 1, 2, ... "
                                                              "people; the last covers bigger households"})
    tier_percentages = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,20}$")),
                                   values=Integer(validate=validate.Range(0, 100)),
                                   required=True, validate=validate.Length(1, 10),
                                   metadata={"description": "tier -> percentage of the retail price paid"})
    currency = fields.String(load_default="EUR", validate=validate.OneOf(["EUR"]))
    site_id = fields.String(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates_schema
    def _caps_grow(self, data, **_kwargs):
        caps = data.get("monthly_caps_cents") or []
        if any(later < earlier for earlier, later in zip(caps, caps[1:])):
            raise ValidationError("a bigger household never gets a smaller cap", "monthly_caps_cents")


# -- households --------------------------------------------------------------------------------

class HouseholdCreateSchema(Schema):
    site = fields.String(required=True, **SITE_REF)
    referrer_organisation = fields.String(required=True, validate=validate.Length(1, 200), metadata={
        "description": "the social service that refers the household, e.g. CCAS de Lille"})
    household_size = Integer(required=True, validate=validate.Range(1, 20))
    monthly_resources_cents = Cents(0, MAX_CENTS, required=True)
    fixed_charges_cents = Cents(0, MAX_CENTS, required=True)


class HouseholdRenewSchema(Schema):
    referrer_organisation = fields.String(validate=validate.Length(1, 200))
    household_size = Integer(validate=validate.Range(1, 20))
    monthly_resources_cents = Cents(0, MAX_CENTS)
    fixed_charges_cents = Cents(0, MAX_CENTS)


class DecisionSchema(Schema):
    action = fields.String()
    outcome = fields.String()
    reste_a_vivre_cents_per_day = Integer()
    threshold_cents_per_day = Integer()
    monthly_cap_cents = Integer()
    eligible_until = fields.Date(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime()


class HouseholdSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    card_number = fields.String()
    referrer_account_id = fields.String(allow_none=True)
    referrer_organisation = fields.String()
    household_size = Integer()
    monthly_resources_cents = Integer()
    fixed_charges_cents = Integer()
    reste_a_vivre_cents_per_day = Integer()
    status = fields.String(metadata={"description": "eligible, ineligible, expired or ended"})
    eligible_until = fields.Date(allow_none=True)
    monthly_cap_cents = Integer()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime()
    decisions = fields.List(fields.Nested(DecisionSchema))


class HouseholdQuerySchema(Schema):
    site = fields.String(required=True, **SITE_REF)
    status = fields.String(validate=validate.OneOf(["eligible", "ineligible", "expired", "ended"]))


class CardSchema(Schema):
    card_number = fields.String()
    eligible_until = fields.Date(allow_none=True, metadata={"description": "null: not eligible today"})
    budget_left_cents = Integer(metadata={"description": "left to spend this month"})
    currency = fields.String()


# -- products, lots, movements -----------------------------------------------------------------

class ProductCreateSchema(Schema):
    site = fields.String(required=True, **SITE_REF)
    name = fields.String(required=True, validate=validate.Length(1, 120))
    category = fields.String(required=True, validate=validate.Length(1, 60))
    unit = fields.String(required=True, validate=validate.OneOf(sorted(UNIT_SCALE)))
    retail_price_cents = Cents(0, MAX_CENTS, required=True, metadata={"description": "per unit (piece, kg, l)"})
    tier = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 20),
                         metadata={"description": "solidarity price tier; null: shop only"})
    local = fields.Boolean(load_default=False, metadata={"description": "from a local producer"})
    deposit_cents = Cents(0, 10_000, load_default=0, metadata={"description": "deposit per returnable piece"})
    monthly_limit = Quantity(load_default=None, allow_none=True)
    low_stock_threshold = fields.Decimal(allow_nan=False, load_default=None, allow_none=True,
                                         validate=quantity_range(False))


class ProductUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(1, 120))
    category = fields.String(validate=validate.Length(1, 60))
    retail_price_cents = Cents(0, MAX_CENTS)
    tier = fields.String(allow_none=True, validate=validate.Length(1, 20))
    local = fields.Boolean()
    deposit_cents = Cents(0, 10_000)
    monthly_limit = Quantity(allow_none=True)
    low_stock_threshold = fields.Decimal(allow_nan=False, validate=quantity_range(False))

    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class ProductSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    name = fields.String()
    category = fields.String()
    unit = fields.String()
    retail_price_cents = Integer()
    tier = fields.String(allow_none=True)
    local = fields.Boolean()
    deposit_cents = Integer()
    monthly_limit = fields.Method("_monthly_limit", allow_none=True)
    low_stock_threshold = fields.Method("_threshold")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _monthly_limit(self, product):
        return None if product.monthly_limit is None else from_base(product.unit, product.monthly_limit)

    def _threshold(self, product):
        return from_base(product.unit, product.low_stock_threshold)


class ProductQuerySchema(Schema):
    site = fields.String(required=True, **SITE_REF)
    local = fields.Boolean()


class LotCreateSchema(Schema):
    product_id = fields.String(required=True, validate=validate.Length(1, 36))
    quantity = Quantity(required=True)
    source = fields.String(required=True, validate=validate.OneOf(["purchase", "donation"]))
    donor = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                          metadata={"description": "required for a donation: who gave it"})
    expiry_kind = fields.String(load_default="none", validate=validate.OneOf(["dlc", "ddm", "none"]),
                                metadata={"description": "dlc: use-by, never sold after; ddm: best-before"})
    expiry_date = fields.Date(load_default=None, allow_none=True)
    storage_place = fields.String(load_default="", validate=validate.Length(max=80))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class LotSchema(Schema):
    id = fields.String()
    product_id = fields.String()
    product_name = fields.String()
    site_id = fields.String()
    unit = fields.String()
    quantity = fields.Raw(metadata={"description": "number in the product's unit"})
    expiry_date = fields.Date(allow_none=True)
    expiry_kind = fields.String()
    storage_place = fields.String()
    source = fields.String()
    donor = fields.String(allow_none=True)
    note = fields.String()
    basket_id = fields.String(allow_none=True)
    received_at = fields.DateTime()
    expired = fields.Boolean()
    sellable = fields.Boolean(metadata={"description": "false for a lot past its use-by date (DLC)"})
    best_before_passed = fields.Boolean(metadata={"description": "a DDM lot past its date: sold, but flagged"})


class LotQuerySchema(Schema):
    site = fields.String(required=True, **SITE_REF)
    product_id = fields.String(validate=validate.Length(1, 36))
    include_empty = fields.Boolean(load_default=False)


class NearExpiryQuerySchema(Schema):
    days = Integer(text=True, load_default=3, validate=validate.Range(0, 60))


class DailyCheckSchema(Schema):
    days = Integer(load_default=2, validate=validate.Range(0, 60))


class DailyCheckResultSchema(Schema):
    site_id = fields.String()
    expired_households = Integer()
    expiring_lots = Integer()


class MovementCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["loss", "expiry_write_off",
                                                                "inventory_correction"]))
    quantity = Quantity("taken out, for a loss or an expiry write-off")
    counted = fields.Decimal(allow_nan=False, validate=quantity_range(False),
                             metadata={"description": "counted on the shelf, for an inventory correction"})
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class MovementSchema(Schema):
    id = fields.String()
    lot_id = fields.String()
    product_id = fields.String()
    kind = fields.String()
    quantity = fields.Function(lambda movement: from_base(movement.product.unit, movement.quantity))
    sale_id = fields.String(allow_none=True)
    reason = fields.String()
    recorded_at = fields.DateTime()


# -- sales -------------------------------------------------------------------------------------

class SaleLineInSchema(Schema):
    product_id = fields.String(required=True, validate=validate.Length(1, 36))
    quantity = Quantity(required=True)
    lot_id = fields.String(validate=validate.Length(1, 36),
                           metadata={"description": "sell from this lot; by default the lots that expire "
                                                    "first (FEFO)"})


class DepositReturnSchema(Schema):
    product_id = fields.String(required=True, validate=validate.Length(1, 36))
    quantity = Quantity(required=True)


class SaleCreateSchema(Schema):
    site = fields.String(required=True, **SITE_REF)
    kind = fields.String(required=True, validate=validate.OneOf(["solidarity", "shop"]),
                         metadata={"description": "solidarity: a household at reduced prices; shop: anyone"})
    card_number = fields.String(validate=validate.Length(1, 20))
    lines = fields.List(fields.Nested(SaleLineInSchema), load_default=list, validate=validate.Length(max=100))
    deposit_returns = fields.List(fields.Nested(DepositReturnSchema), load_default=list,
                                  validate=validate.Length(max=50))
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))


class SaleLineLotSchema(Schema):
    lot_id = fields.String()
    quantity = Integer(metadata={"description": "in base units (pieces, grams, ml)"})
    best_before_passed = fields.Boolean()


class SaleLineSchema(Schema):
    product_id = fields.String()
    kind = fields.String(metadata={"description": "goods or deposit_return"})
    unit = fields.Function(lambda line: line.product.unit)
    quantity = fields.Function(lambda line: from_base(line.product.unit, line.quantity))
    unit_price_cents = Integer()
    percentage = Integer()
    amount_cents = Integer()
    deposit_cents = Integer()
    lots = fields.List(fields.Nested(SaleLineLotSchema))


class SaleSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    kind = fields.String()
    card_number = fields.Method("_card")
    month = fields.String()
    payment_method = fields.String()
    currency = fields.String()
    goods_cents = Integer()
    deposit_cents = Integer()
    deposit_returned_cents = Integer()
    amount_due_cents = Integer()
    sold_at = fields.DateTime()
    lines = fields.List(fields.Nested(SaleLineSchema))
    budget_left_cents = fields.Method("_budget_left", allow_none=True)

    def _card(self, sale):
        return getattr(sale, "card_number", None)

    def _budget_left(self, sale):
        return getattr(sale, "budget_left_cents", None)


class StockSchema(Schema):
    product_id = fields.String()
    unit = fields.String()
    quantity = fields.Raw(metadata={"description": "number in the product's unit, all lots"})
    sellable_quantity = fields.Raw(metadata={"description": "without lots past their use-by date"})
    lots = fields.List(fields.Nested(LotSchema), metadata={"description": "first expired, first out"})


class SalesFiguresSchema(Schema):
    count = Integer()
    goods_cents = Integer()
    deposit_cents = Integer()
    deposit_returned_cents = Integer()
    amount_due_cents = Integer()


class MovedProductSchema(Schema):
    kind = fields.String(metadata={"description": "write-offs only: loss or expiry_write_off"})
    product_id = fields.String()
    product_name = fields.String()
    unit = fields.String()
    quantity = fields.Raw()
    movements = Integer()
    retail_value_cents = Integer()


class MonthlyReportSchema(Schema):
    site_id = fields.String()
    month = fields.String()
    currency = fields.String()
    solidarity_sales = fields.Nested(SalesFiguresSchema)
    shop_sales = fields.Nested(SalesFiguresSchema)
    households_served = Integer()
    payment_methods = fields.Dict(keys=fields.String(), values=Integer(), metadata={
        "description": "payment method -> amount due in cents"})
    donations = fields.List(fields.Nested(MovedProductSchema))
    write_offs = fields.List(fields.Nested(MovedProductSchema))
