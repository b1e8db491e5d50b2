"""HTTP API of the relay service. Views only translate HTTP to use cases."""
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.relay import service, sheets
from services.relay.schemas import (
    BasketSchema,
    ClosingSchema,
    CollectionSchema,
    ContractCreateSchema,
    ContractSchema,
    DeliveryCheckInSchema,
    DeliverySchema,
    DistributionQuerySchema,
    DistributionSchema,
    MineQuerySchema,
    MoveSchema,
    ProducerCreateSchema,
    ProducerSchema,
    ProducerUpdateSchema,
    ProxySchema,
    RosterSchema,
    RosterSignUpSchema,
    SiteQuerySchema,
    SiteSchema,
    SubscriptionCreateSchema,
    SubscriptionSchema,
)
from shared.identity import current_identity, person_required, roles_required, signed_in
from shared.problems import Problem
from shared.web import database

STAFF = ("veilleur", "admin")
SECURED = [{"identity": []}]

sites = Blueprint("relay-sites", __name__, url_prefix="/sites", description="Sites this service knows")
producers = Blueprint("producers", __name__, url_prefix="/producers", description="AMAP producers")
contracts = Blueprint("contracts", __name__, url_prefix="/contracts",
                      description="AMAP season contracts and their subscriptions")
subscriptions = Blueprint("subscriptions", __name__, url_prefix="/subscriptions", description="Shares")
distributions = Blueprint("distributions", __name__, url_prefix="/distributions",
                          description="Distributions: delivery check-in, collection, closing, roster, sheet")
baskets = Blueprint("baskets", __name__, url_prefix="/baskets",
                    description="Baskets: a subscriber's own baskets, codes, absences and proxies")


@sites.route("")
class Sites(MethodView):
    @sites.response(200, SiteSchema(many=True))
    def get(self):
        """Sites this service has learnt from the platform."""
        with database().transaction() as session:
            return service.list_sites(session)


# -- producers -------------------------------------------------------------------------------
@producers.route("")
class Producers(MethodView):
    @roles_required(*STAFF)
    @producers.response(200, ProducerSchema(many=True))
    @producers.doc(security=SECURED)
    def get(self):
        """List the producers, with their contact (veilleur, admin)."""
        with database().transaction() as session:
            return service.list_producers(session)

    @roles_required(*STAFF)
    @producers.arguments(ProducerCreateSchema)
    @producers.response(201, ProducerSchema)
    @producers.doc(security=SECURED)
    def post(self, payload):
        """Register a producer (veilleur, admin)."""
        with database().transaction() as session:
            return service.create_producer(session, **payload)


@producers.route("/<producer_id>")
class ProducerItem(MethodView):
    @roles_required(*STAFF)
    @producers.response(200, ProducerSchema)
    @producers.doc(security=SECURED)
    def get(self, producer_id):
        """Read one producer (veilleur, admin)."""
        with database().transaction() as session:
            return service.get_producer(session, producer_id)

    @roles_required(*STAFF)
    @producers.arguments(ProducerUpdateSchema)
    @producers.response(200, ProducerSchema)
    @producers.doc(security=SECURED)
    def patch(self, changes, producer_id):
        """Change a producer (veilleur, admin)."""
        with database().transaction() as session:
            return service.update_producer(session, producer_id, changes)


# -- contracts and subscriptions -------------------------------------------------------------
@contracts.route("")
class Contracts(MethodView):
    @contracts.arguments(SiteQuerySchema, location="query")
    @contracts.response(200, ContractSchema(many=True))
    def get(self, query):
        """List the contracts, of one site if given (anyone)."""
        with database().transaction() as session:
            return service.list_contracts(session, query.get("site"))

    @roles_required(*STAFF)
    @contracts.arguments(ContractCreateSchema)
    @contracts.response(201, ContractSchema)
    @contracts.doc(security=SECURED)
    def post(self, payload):
        """Create a season contract and schedule its distributions (veilleur, admin)."""
        with database().transaction() as session:
            return service.create_contract(session, **payload)


@contracts.route("/<contract_id>")
class ContractItem(MethodView):
    @contracts.response(200, ContractSchema)
    def get(self, contract_id):
        """Read one contract (anyone)."""
        with database().transaction() as session:
            return service.get_contract(session, contract_id)


@contracts.route("/<contract_id>/subscriptions")
class ContractSubscriptions(MethodView):
    @roles_required(*STAFF)
    @contracts.response(200, SubscriptionSchema(many=True))
    @contracts.doc(security=SECURED)
    def get(self, contract_id):
        """The shares of a contract (veilleur, admin)."""
        with database().transaction() as session:
            service.get_contract(session, contract_id)
            return [service.subscription_summary(session, s)
                    for s in service.list_subscriptions(session, contract_id=contract_id)]

    @person_required
    @contracts.arguments(SubscriptionCreateSchema)
    @contracts.response(201, SubscriptionSchema)
    @contracts.doc(security=SECURED)
    def post(self, payload, contract_id):
        """Subscribe: take a share of this contract for the signed-in account."""
        identity = current_identity()
        with database().transaction() as session:
            subscription = service.subscribe(session, contract_id, identity.subject, **payload)
            return service.subscription_summary(session, subscription)


@subscriptions.route("")
class Subscriptions(MethodView):
    @signed_in
    @subscriptions.arguments(MineQuerySchema, location="query")
    @subscriptions.response(200, SubscriptionSchema(many=True))
    @subscriptions.doc(security=SECURED)
    def get(self, query):
        """My shares (signed in)."""
        identity = current_identity()
        with database().transaction() as session:
            return [service.subscription_summary(session, s) for s in service.list_subscriptions(
                session, account_id=identity.subject, contract_id=query.get("contract"))]


# -- distributions ---------------------------------------------------------------------------
@distributions.route("")
class Distributions(MethodView):
    @distributions.arguments(DistributionQuerySchema, location="query")
    @distributions.response(200, DistributionSchema(many=True))
    def get(self, query):
        """List distributions by contract, site and dates (anyone)."""
        with database().transaction() as session:
            return service.list_distributions(session, query.get("contract"), query.get("site"),
                                              query.get("date_from"), query.get("date_to"))


@distributions.route("/<distribution_id>")
class DistributionItem(MethodView):
    @distributions.response(200, DistributionSchema)
    def get(self, distribution_id):
        """Read one distribution (anyone)."""
        with database().transaction() as session:
            return service.get_distribution(session, distribution_id)


@distributions.route("/<distribution_id>/move")
class DistributionMove(MethodView):
    @roles_required(*STAFF)
    @distributions.arguments(MoveSchema)
    @distributions.response(200, DistributionSchema)
    @distributions.doc(security=SECURED)
    def post(self, payload, distribution_id):
        """Move a distribution to another date or window (veilleur, admin)."""
        with database().transaction() as session:
            return service.move_distribution(session, distribution_id, payload.get("date"),
                                             payload.get("window_opens"), payload.get("window_closes"))


@distributions.route("/<distribution_id>/cancel")
class DistributionCancel(MethodView):
    @roles_required(*STAFF)
    @distributions.response(200, DistributionSchema)
    @distributions.doc(security=SECURED)
    def post(self, distribution_id):
        """Cancel a distribution: the producer can't come (veilleur, admin)."""
        with database().transaction() as session:
            return service.cancel_distribution(session, distribution_id)


@distributions.route("/<distribution_id>/delivery")
class DistributionDelivery(MethodView):
    @roles_required(*STAFF)
    @distributions.response(200, DeliverySchema)
    @distributions.doc(security=SECURED)
    def get(self, distribution_id):
        """Expected, arrived and collected baskets per kind (veilleur, admin)."""
        with database().transaction() as session:
            return service.delivery_summary(session, service.get_distribution(session, distribution_id))

    @roles_required(*STAFF)
    @distributions.arguments(DeliveryCheckInSchema)
    @distributions.response(201, DeliverySchema)
    @distributions.doc(security=SECURED)
    def post(self, payload, distribution_id):
        """Check in the producer's drop-off: baskets arrived per kind (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.check_in_delivery(session, distribution_id, payload["arrived"], identity.subject)


@distributions.route("/<distribution_id>/baskets")
class DistributionBaskets(MethodView):
    @roles_required(*STAFF)
    @distributions.response(200, BasketSchema(many=True))
    @distributions.doc(security=SECURED)
    def get(self, distribution_id):
        """The baskets of a distribution, with names and without codes (veilleur, admin)."""
        with database().transaction() as session:
            return [service.basket_view(b, None, staff=True)
                    for b in service.distribution_baskets(session, distribution_id)]


@distributions.route("/<distribution_id>/collections")
class DistributionCollections(MethodView):
    @roles_required(*STAFF)
    @distributions.arguments(CollectionSchema)
    @distributions.response(201, BasketSchema)
    @distributions.doc(security=SECURED)
    def post(self, payload, distribution_id):
        """Tick a basket off, by pickup or proxy code, basket id or account (veilleur, admin)."""
        identity = current_identity()
        with database().transaction() as session:
            basket = service.collect_basket(session, distribution_id, identity.subject, **payload)
            return service.basket_view(basket, None, staff=True)


@distributions.route("/<distribution_id>/close")
class DistributionClose(MethodView):
    @roles_required(*STAFF)
    @distributions.response(200, ClosingSchema)
    @distributions.doc(security=SECURED)
    def post(self, distribution_id):
        """Close: every basket not collected goes to the social grocery (veilleur, admin)."""
        with database().transaction() as session:
            return service.close_distribution(session, distribution_id)


@distributions.route("/<distribution_id>/roster")
class DistributionRoster(MethodView):
    @distributions.response(200, RosterSchema)
    def get(self, distribution_id):
        """Who opens and who distributes (anyone)."""
        with database().transaction() as session:
            return service.roster(session, distribution_id)

    @person_required
    @distributions.arguments(RosterSignUpSchema)
    @distributions.response(201, RosterSchema)
    @distributions.doc(security=SECURED)
    def post(self, payload, distribution_id):
        """Sign up as opener or distributor (signed in)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.sign_up(session, distribution_id, identity.subject, **payload)


@distributions.route("/<distribution_id>/roster/<role>")
class DistributionRosterRole(MethodView):
    @person_required
    @distributions.response(200, RosterSchema)
    @distributions.doc(security=SECURED)
    def delete(self, distribution_id, role):
        """Withdraw from a role (signed in)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.withdraw(session, distribution_id, identity.subject, role)


@distributions.route("/<distribution_id>/sheet.csv")
class DistributionSheetCsv(MethodView):
    @roles_required(*STAFF)
    @distributions.response(200, content_type="text/csv")
    @distributions.doc(security=SECURED)
    def get(self, distribution_id):
        """The sign-in sheet as CSV (veilleur, admin)."""
        with database().transaction() as session:
            sheet = service.sign_in_sheet(session, distribution_id)
            body = sheets.sheet_csv(sheet)
            filename = f"emargement-{sheet['distribution'].date.isoformat()}.csv"
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})


@distributions.route("/<distribution_id>/sheet.html")
class DistributionSheetHtml(MethodView):
    @roles_required(*STAFF)
    @distributions.response(200, content_type="text/html")
    @distributions.doc(security=SECURED)
    def get(self, distribution_id):
        """The sign-in sheet as a printable page, in French (veilleur, admin)."""
        with database().transaction() as session:
            body = sheets.sheet_html(service.sign_in_sheet(session, distribution_id))
        return Response(body, mimetype="text/html")


# -- a subscriber's baskets ------------------------------------------------------------------
@baskets.route("")
class Baskets(MethodView):
    @signed_in
    @baskets.arguments(MineQuerySchema, location="query")
    @baskets.response(200, BasketSchema(many=True))
    @baskets.doc(security=SECURED)
    def get(self, query):
        """My baskets and pickup codes, and those I collect as a proxy (signed in)."""
        identity = current_identity()
        if not query["mine"]:
            raise Problem(422, "Invalid input", "mine: only your own baskets are listed here; veilleurs list "
                          "a distribution's baskets under /distributions/{id}/baskets.", slug="invalid-input",
                          errors={"mine": ["only mine=true is supported"]})
        with database().transaction() as session:
            return [service.basket_view(b, identity.subject)
                    for b in service.my_baskets(session, identity.subject, query["upcoming"],
                                                contract_id=query.get("contract"))]


@baskets.route("/<basket_id>/absence")
class BasketAbsence(MethodView):
    @person_required
    @baskets.response(201, BasketSchema)
    @baskets.doc(security=SECURED)
    def post(self, basket_id):
        """Declare I will be away: no basket is expected for me (before the cut-off)."""
        identity = current_identity()
        with database().transaction() as session:
            return service.basket_view(service.declare_absence(session, basket_id, identity.subject),
                                       identity.subject)


@baskets.route("/<basket_id>/proxy")
class BasketProxy(MethodView):
    @person_required
    @baskets.arguments(ProxySchema)
    @baskets.response(201, BasketSchema)
    @baskets.doc(security=SECURED)
    def post(self, payload, basket_id):
        """Name a proxy for this basket: another account, or a one-off code to give anyone."""
        identity = current_identity()
        with database().transaction() as session:
            basket = service.name_proxy(session, basket_id, identity.subject, payload["account_id"])
            return service.basket_view(basket, identity.subject)

    @person_required
    @baskets.response(200, BasketSchema)
    @baskets.doc(security=SECURED)
    def delete(self, basket_id):
        """Withdraw the proxy of this basket."""
        identity = current_identity()
        with database().transaction() as session:
            return service.basket_view(service.withdraw_proxy(session, basket_id, identity.subject),
                                       identity.subject)


blueprints = [sites, producers, contracts, subscriptions, distributions, baskets]
