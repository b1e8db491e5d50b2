"""The gateway's own API: tokens, accounts, organisations, API keys and sites."""
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import auth, service
from gateway.limits import email_in_body_key, limiter, login_limit_per_account, login_limit_per_address
from gateway.notifications import api as notifications
from gateway.schemas import (
    AccountAdminUpdateSchema,
    AccountSchema,
    ApiKeyCreatedSchema,
    ApiKeyCreateSchema,
    ApiKeySchema,
    OrganisationSchema,
    OwnAccountUpdateSchema,
    SignUpSchema,
    SiteSchema,
    SiteUpdateSchema,
    TokenRequestSchema,
    TokenSchema,
)
from shared.web import database, no_store, settings

SECURED = [{"bearer": []}]
identity_blp = Blueprint("identity", __name__, url_prefix="/api", description="Sign in, accounts, organisations")
sites_blp = Blueprint("sites", __name__, url_prefix="/api/sites", description="The places the platform serves")


@identity_blp.route("/auth/token")
class Token(MethodView):
    @limiter.limit(login_limit_per_address)
    @limiter.limit(login_limit_per_account, key_func=lambda: login_rate_key())
    @identity_blp.arguments(TokenRequestSchema)
    @identity_blp.response(200, TokenSchema)
    @no_store
    def post(self, credentials):
        """Exchange an e-mail and password for a Bearer access token."""
        with database().transaction() as session:
            account = service.authenticate(session, credentials["email"], credentials["password"])
            return service.issue_token(account, settings().token_key, settings().token_ttl_seconds)


@identity_blp.route("/accounts")
class Accounts(MethodView):
    @identity_blp.arguments(SignUpSchema)
    @identity_blp.response(201, AccountSchema)
    def post(self, payload):
        """Sign up as a neighbour."""
        with database().transaction() as session:
            account = service.register_account(session, **payload)
            notifications.account_created(session, account)
            return account

    @auth.admin_required
    @identity_blp.response(200, AccountSchema(many=True))
    @identity_blp.doc(security=SECURED)
    def get(self):
        """List accounts (admin)."""
        with database().transaction() as session:
            return service.list_accounts(session)


@identity_blp.route("/accounts/me")
class OwnAccount(MethodView):
    @auth.person_required
    @identity_blp.response(200, AccountSchema)
    @identity_blp.doc(security=SECURED)
    def get(self):
        """My account."""
        with database().transaction() as session:
            return auth.require_account(session)

    @auth.person_required
    @identity_blp.arguments(OwnAccountUpdateSchema)
    @identity_blp.response(200, AccountSchema)
    @identity_blp.doc(security=SECURED)
    def patch(self, changes):
        """Change my name, language or password."""
        with database().transaction() as session:
            return service.update_own_account(session, auth.require_account(session), changes)

    @auth.person_required
    @identity_blp.response(204)
    @identity_blp.doc(security=SECURED)
    def delete(self):
        """Delete my account; every service forgets me (`identity.account.erased`)."""
        with database().transaction() as session:
            account = auth.require_account(session)
            notifications.account_erasing(session, account)
            service.erase_account(session, account)


@identity_blp.route("/accounts/<account_id>")
class AccountAdmin(MethodView):
    @auth.admin_required
    @identity_blp.arguments(AccountAdminUpdateSchema)
    @identity_blp.response(200, AccountSchema)
    @identity_blp.doc(security=SECURED)
    def patch(self, changes, account_id):
        """Set an account's roles or organisation (admin)."""
        with database().transaction() as session:
            return service.administer_account(session, account_id, changes)


@identity_blp.route("/organisations")
class Organisations(MethodView):
    @auth.caller_required
    @identity_blp.response(200, OrganisationSchema(many=True))
    @identity_blp.doc(security=SECURED)
    def get(self):
        """List organisations (signed in)."""
        with database().transaction() as session:
            return service.list_organisations(session)

    @auth.admin_required
    @identity_blp.arguments(OrganisationSchema)
    @identity_blp.response(201, OrganisationSchema)
    @identity_blp.doc(security=SECURED)
    def post(self, payload):
        """Create an organisation (admin)."""
        with database().transaction() as session:
            return service.create_organisation(session, **payload)


@identity_blp.route("/api-keys")
class ApiKeys(MethodView):
    @auth.admin_required
    @identity_blp.response(200, ApiKeySchema(many=True))
    @identity_blp.doc(security=SECURED)
    def get(self):
        """List API keys of programs (admin)."""
        with database().transaction() as session:
            return service.list_api_keys(session)

    @auth.admin_required
    @identity_blp.arguments(ApiKeyCreateSchema)
    @identity_blp.response(201, ApiKeyCreatedSchema)
    @identity_blp.doc(security=SECURED)
    @no_store
    def post(self, payload):
        """Create an API key for a program; the key is shown once (admin)."""
        caller = auth.require_caller()
        with database().transaction() as session:
            key, secret = service.create_api_key(session, payload["name"], payload["roles"], caller.subject)
            key.key = secret  # shown in this response only; never stored
            return key


@identity_blp.route("/api-keys/<key_id>")
class ApiKeyItem(MethodView):
    @auth.admin_required
    @identity_blp.response(200, ApiKeySchema)
    @identity_blp.doc(security=SECURED)
    def delete(self, key_id):
        """Revoke an API key (admin)."""
        with database().transaction() as session:
            return service.revoke_api_key(session, key_id)


@sites_blp.route("")
class Sites(MethodView):
    @sites_blp.response(200, SiteSchema(many=True))
    def get(self):
        """List the sites (anyone)."""
        with database().transaction() as session:
            return service.list_sites(session)

    @auth.admin_required
    @sites_blp.arguments(SiteSchema)
    @sites_blp.response(201, SiteSchema)
    @sites_blp.doc(security=SECURED)
    def post(self, payload):
        """Create a site (admin)."""
        with database().transaction() as session:
            return service.create_site(session, **payload)


@sites_blp.route("/<site_ref>")
class SiteItem(MethodView):
    @sites_blp.response(200, SiteSchema)
    def get(self, site_ref):
        """Read one site by id or slug (anyone)."""
        with database().transaction() as session:
            return service.get_site(session, site_ref)

    @auth.admin_required
    @sites_blp.arguments(SiteUpdateSchema)
    @sites_blp.response(200, SiteSchema)
    @sites_blp.doc(security=SECURED)
    def patch(self, changes, site_ref):
        """Change a site (admin)."""
        with database().transaction() as session:
            return service.update_site(session, site_ref, changes)


def login_rate_key() -> str:
    """Per-account key for the sign-in limit: the e-mail asked for (as a digest), whatever the address."""
    return email_in_body_key("account")
