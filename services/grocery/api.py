"""HTTP API of the grocery service. Views only translate HTTP to use cases."""
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from services.grocery import service
from services.grocery.schemas import (
    CardSchema,
    DailyCheckResultSchema,
    DailyCheckSchema,
    HouseholdCreateSchema,
    HouseholdQuerySchema,
    HouseholdRenewSchema,
    HouseholdSchema,
    LotCreateSchema,
    LotQuerySchema,
    LotSchema,
    MonthlyReportSchema,
    MovementCreateSchema,
    MovementSchema,
    NearExpiryQuerySchema,
    ProductCreateSchema,
    ProductQuerySchema,
    ProductSchema,
    ProductUpdateSchema,
    RulesSchema,
    SaleCreateSchema,
    SaleSchema,
    SiteSchema,
    StockSchema,
)
from shared.identity import current_identity, roles_required
from shared.problems import Problem
from shared.web import database

STAFF = ("veilleur", "admin")
SECURED = [{"identity": []}]

sites = Blueprint("grocery-sites", __name__, url_prefix="/sites", description="Sites, their rules and reports")
households = Blueprint("grocery-households", __name__, url_prefix="/households",
                       description="Referred households and their eligibility")
cards = Blueprint("grocery-cards", __name__, url_prefix="/cards", description="The cashier's view of a card")
products = Blueprint("grocery-products", __name__, url_prefix="/products", description="Products and prices")
lots = Blueprint("grocery-lots", __name__, url_prefix="/lots", description="Stock: lots and their movements")
sales = Blueprint("grocery-sales", __name__, url_prefix="/sales", description="Checkout")


@sites.route("")
class Sites(MethodView):
    @sites.response(200, SiteSchema(many=True))
    def get(self):
        """Sites this service has learnt from the platform."""
        with database().transaction() as session:
            return service.list_sites(session)


@sites.route("/<site>/rules")
class SiteRules(MethodView):
    @roles_required(*STAFF)
    @sites.response(200, RulesSchema)
    @sites.doc(security=SECURED)
    def get(self, site):
        """The grocery rules of a site (veilleur, admin)."""
        with database().transaction() as session:
            return service.get_rules(session, site)

    @roles_required("admin")
    @sites.arguments(RulesSchema)
    @sites.response(200, RulesSchema)
    @sites.doc(security=SECURED)
    def put(self, payload, site):
        """Set the eligibility threshold, access period, monthly caps and price tiers (admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.set_rules(session, site, identity.subject, **payload)


@sites.route("/<site>/near-expiry")
class NearExpiry(MethodView):
    @roles_required(*STAFF)
    @sites.arguments(NearExpiryQuerySchema, location="query")
    @sites.response(200, LotSchema(many=True))
    @sites.doc(security=SECURED)
    def get(self, query, site):
        """Lots in stock that expire within `days` days, expired ones included (veilleur, admin)."""
        with database().transaction() as session:
            return service.near_expiry(session, site, query["days"])


@sites.route("/<site>/daily-check")
class DailyCheck(MethodView):
    @roles_required(*STAFF)
    @sites.arguments(DailyCheckSchema)
    @sites.response(200, DailyCheckResultSchema)
    @sites.doc(security=SECURED)
    def post(self, payload, site):
        """Expire ended access periods and announce lots about to expire; the worker runs it too."""
        with database().transaction() as session:
            return service.daily_check(session, site, payload["days"])


def _checked_month(month: str) -> str:
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit() \
            or not 1 <= int(month[5:]) <= 12 or not 2000 <= int(month[:4]) <= 2999:
        raise Problem(422, "Invalid input", "month: give it as YYYY-MM, e.g. 2026-11", slug="invalid-input",
                      errors={"month": ["give it as YYYY-MM"]})
    return month


@sites.route("/<site>/reports/<month>")
class MonthlyReport(MethodView):
    @roles_required(*STAFF)
    @sites.response(200, MonthlyReportSchema)
    @sites.doc(security=SECURED)
    def get(self, site, month):
        """Monthly report for the association: sales, donations, households served, write-offs (veilleur, admin)."""
        with database().transaction() as session:
            return service.monthly_report(session, site, _checked_month(month))


@sites.route("/<site>/reports/<month>/csv")
class MonthlyReportCsv(MethodView):
    @roles_required(*STAFF)
    @sites.response(200, {"type": "string"}, content_type="text/csv", description="one row per figure")
    @sites.doc(security=SECURED)
    def get(self, site, month):
        """The monthly report as CSV: section, item, unit, quantity, count, cents (veilleur, admin)."""
        with database().transaction() as session:
            report = service.monthly_report(session, site, _checked_month(month))
        return Response(service.report_csv(report), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="grocery-{report["site_id"]}-{month}.csv"'})


@households.route("")
class Households(MethodView):
    @roles_required(*STAFF)
    @households.arguments(HouseholdQuerySchema, location="query")
    @households.response(200, HouseholdSchema(many=True))
    @households.doc(security=SECURED)
    def get(self, query):
        """Households of a site (veilleur, admin)."""
        with database().transaction() as session:
            return service.list_households(session, query["site"], query.get("status"))

    @roles_required(*STAFF)
    @households.arguments(HouseholdCreateSchema)
    @households.response(201, HouseholdSchema)
    @households.doc(security=SECURED)
    def post(self, payload):
        """Register a referred household; the site's rule judges it at once (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.register_household(session, by=identity.subject, **payload)


@households.route("/<household_id>")
class HouseholdItem(MethodView):
    @households.response(200, HouseholdSchema)
    @households.doc(security=SECURED)
    def get(self, household_id):
        """A household and its decisions (veilleur, admin, or the household's referrer)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.get_household(session, household_id, identity.subject, identity.is_staff)


@households.route("/<household_id>/renew")
class HouseholdRenew(MethodView):
    @roles_required(*STAFF)
    @households.arguments(HouseholdRenewSchema)
    @households.response(200, HouseholdSchema)
    @households.doc(security=SECURED)
    def post(self, changes, household_id):
        """Judge the household again, with new figures if given, for a new access period (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.renew_household(session, household_id, identity.subject, changes)


@households.route("/<household_id>/end")
class HouseholdEnd(MethodView):
    @roles_required(*STAFF)
    @households.response(200, HouseholdSchema)
    @households.doc(security=SECURED)
    def post(self, household_id):
        """End a household's access before its term; it is kept with its decisions (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.end_household(session, household_id, identity.subject)


@cards.route("/<card_number>")
class Card(MethodView):
    @roles_required(*STAFF)
    @cards.response(200, CardSchema)
    @cards.doc(security=SECURED)
    def get(self, card_number):
        """What the till sees: card number, eligible until, budget left this month; nothing else."""
        with database().transaction() as session:
            return service.cashier_view(session, card_number)


@products.route("")
class Products(MethodView):
    @products.arguments(ProductQuerySchema, location="query")
    @products.response(200, ProductSchema(many=True))
    def get(self, query):
        """Products of a site (anyone); `local=true` lists the shop's local products."""
        with database().transaction() as session:
            return service.list_products(session, query["site"], query.get("local"))

    @roles_required("admin")
    @products.arguments(ProductCreateSchema)
    @products.response(201, ProductSchema)
    @products.doc(security=SECURED)
    def post(self, payload):
        """Add a product and its prices (admin)."""
        with database().transaction() as session:
            return service.create_product(session, **payload)


@products.route("/<product_id>")
class ProductItem(MethodView):
    @products.response(200, ProductSchema)
    def get(self, product_id):
        """One product (anyone)."""
        with database().transaction() as session:
            return service.get_product(session, product_id)

    @roles_required("admin")
    @products.arguments(ProductUpdateSchema)
    @products.response(200, ProductSchema)
    @products.doc(security=SECURED)
    def patch(self, changes, product_id):
        """Change a product or its prices (admin)."""
        with database().transaction() as session:
            return service.update_product(session, product_id, changes)


@products.route("/<product_id>/stock")
class ProductStock(MethodView):
    @roles_required(*STAFF)
    @products.response(200, StockSchema)
    @products.doc(security=SECURED)
    def get(self, product_id):
        """Stock of a product: the sum of its lots, and the lots in FEFO order (veilleur, admin)."""
        with database().transaction() as session:
            return service.stock_report(session, product_id)


@lots.route("")
class Lots(MethodView):
    @roles_required(*STAFF)
    @lots.arguments(LotQuerySchema, location="query")
    @lots.response(200, LotSchema(many=True))
    @lots.doc(security=SECURED)
    def get(self, query):
        """Lots of a site in FEFO order (veilleur, admin)."""
        with database().transaction() as session:
            found = service.list_lots(session, query["site"], query.get("product_id"), query["include_empty"])
            today = service.site_today(service.find_site(session, query["site"]))
            return [service.lot_view(lot, today) for lot in found]

    @roles_required(*STAFF)
    @lots.arguments(LotCreateSchema)
    @lots.response(201, LotSchema)
    @lots.doc(security=SECURED)
    def post(self, payload):
        """Take a purchase or a donation into stock as a lot (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            lot = service.receive_lot(session, by=identity.subject, **payload)
            return service.lot_view(lot, service.site_today(session.get(service.Site, lot.site_id)))


@lots.route("/<lot_id>")
class LotItem(MethodView):
    @roles_required(*STAFF)
    @lots.response(200, LotSchema)
    @lots.doc(security=SECURED)
    def get(self, lot_id):
        """One lot (veilleur, admin)."""
        with database().transaction() as session:
            lot = service.get_lot(session, lot_id)
            return service.lot_view(lot, service.site_today(session.get(service.Site, lot.site_id)))


@lots.route("/<lot_id>/movements")
class LotMovements(MethodView):
    @roles_required(*STAFF)
    @lots.response(200, MovementSchema(many=True))
    @lots.doc(security=SECURED)
    def get(self, lot_id):
        """Movements of a lot; their sum is the lot's quantity (veilleur, admin)."""
        with database().transaction() as session:
            return service.list_movements(session, lot_id)

    @roles_required(*STAFF)
    @lots.arguments(MovementCreateSchema)
    @lots.response(201, MovementSchema)
    @lots.doc(security=SECURED)
    def post(self, payload, lot_id):
        """Record a loss, an expiry write-off or an inventory correction (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.record_stock_change(session, lot_id, by=identity.subject, **payload)


@sales.route("")
class Sales(MethodView):
    @sales.arguments(SaleCreateSchema)
    @sales.response(201, SaleSchema)
    @sales.alt_response(200, schema=SaleSchema, description="the sale already made with this Idempotency-Key")
    @sales.doc(security=SECURED, parameters=[{
        "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"},
        "description": "the same key sells once: a repeat returns the first sale"}])
    @roles_required(*STAFF)
    def post(self, payload):
        """Sell: to a household at solidarity prices within its monthly budget, or in the shop (veilleur, admin)."""
        identity = current_identity()
        key = request.headers.get("Idempotency-Key") or None
        if key is not None and not 1 <= len(key) <= 100:
            raise Problem(422, "Invalid input", "Idempotency-Key: 1 to 100 characters", slug="invalid-input",
                          errors={"Idempotency-Key": ["1 to 100 characters"]})
        try:
            with database().transaction() as session:
                sale, created = service.sell(session, by=identity.subject, idempotency_key=key, **payload)
                return service.with_receipt(session, sale), 201 if created else 200
        except IntegrityError:
            if key is None:
                raise
        # Two clicks at once: the other request sold first and holds the key.
        with database().transaction() as session:
            sale, _created = service.sell(session, by=identity.subject, idempotency_key=key, **payload)
            return service.with_receipt(session, sale), 200


@sales.route("/<sale_id>")
class SaleItem(MethodView):
    @roles_required(*STAFF)
    @sales.response(200, SaleSchema)
    @sales.doc(security=SECURED)
    def get(self, sale_id):
        """One sale (veilleur, admin)."""
        with database().transaction() as session:
            return service.with_receipt(session, service.get_sale(session, sale_id))


blueprints = [sites, households, cards, products, lots, sales]

