"""The notifier's part of the gateway API: password reset, address confirmation, preferences, delivery report."""
from __future__ import annotations

import os

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway import auth
from gateway.limits import email_in_body_key, limiter
from gateway.notifications import service
from gateway.notifications.service import TOPICS
from shared.web import database, settings

SECURED = [{"bearer": []}]
notifications_blp = Blueprint("notifications", __name__, url_prefix="/api",
                              description="Password reset, address confirmation, notification preferences")


def notifier() -> service.Notifier:
    found = current_app.extensions.get("veilleuse.notifier")
    if found is None:
        from gateway.notifications.settings import MailSettings

        found = service.Notifier(MailSettings.from_env(), settings().token_key)
        current_app.extensions["veilleuse.notifier"] = found
    return found


def reset_limit_per_address() -> str:
    return os.environ.get("PASSWORD_RESET_RATE_LIMIT_ADDRESS", "20 per hour")


def reset_limit_per_account() -> str:
    return os.environ.get("PASSWORD_RESET_RATE_LIMIT_ACCOUNT", "5 per hour")


def email_rate_key() -> str:
    return email_in_body_key("reset")


def caller_rate_key() -> str:
    identity = auth.resolve_caller()
    return f"confirm:{identity.subject if identity else request.remote_addr}"


# -- what the identity endpoints call at the moments that matter to the notifier ---------------------------
def account_created(session, account) -> None:
    """A new account gets the link that confirms its address."""
    service.send_confirmation(session, notifier(), account, service.clock())


def account_erasing(session, account) -> None:
    """Before the row goes: the goodbye message, then nothing of the person stays in the notifier."""
    service.forget_account(session, notifier(), account, service.clock())


class PasswordResetRequestSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class PasswordResetSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(1, 200))
    password = fields.String(required=True, load_only=True, validate=validate.Length(1, 256))


class LinkTokenSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(1, 200))


class AcceptedSchema(Schema):
    detail = fields.String()


class PreferencesSchema(Schema):
    email_confirmed = fields.Boolean(dump_only=True)
    topics = fields.Dict(keys=fields.String(validate=validate.OneOf(TOPICS)), values=fields.Boolean(),
                         required=True, metadata={"description": f"topics: {', '.join(TOPICS)}; false turns one off"})


class FailureSchema(Schema):
    id = fields.String()
    kind = fields.String()
    topic = fields.String()
    attempts = fields.Integer()
    created_at = fields.DateTime()
    failed_at = fields.DateTime()
    reason = fields.String(allow_none=True)


class DeliveryReportSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    retrying = fields.Integer(metadata={"description": "queued mails that failed at least once"})
    days = fields.Integer()
    failures = fields.List(fields.Nested(FailureSchema))


@notifications_blp.route("/auth/password-reset")
class PasswordResetRequest(MethodView):
    @limiter.limit(reset_limit_per_address)
    @limiter.limit(reset_limit_per_account, key_func=email_rate_key)
    @notifications_blp.arguments(PasswordResetRequestSchema)
    @notifications_blp.response(202, AcceptedSchema)
    def post(self, payload):
        """Mail a link to choose a new password (valid 30 minutes, once). The answer is the same whether or
        not an account has this address."""
        with database().transaction() as session:
            service.request_password_reset(session, notifier(), payload["email"], service.clock())
        return {"detail": "If an account has this address, a link to choose a new password is on its way."}


@notifications_blp.route("/auth/password-reset/confirm")
class PasswordReset(MethodView):
    @notifications_blp.arguments(PasswordResetSchema)
    @notifications_blp.response(204)
    def post(self, payload):
        """Set a new password with the link's token; every session opened before ends."""
        with database().transaction() as session:
            service.reset_password(session, payload["token"], payload["password"], service.clock())


@notifications_blp.route("/auth/email-confirmation")
class ConfirmationRequest(MethodView):
    @auth.person_required
    @limiter.limit(reset_limit_per_account, key_func=lambda: caller_rate_key())
    @notifications_blp.response(202, AcceptedSchema)
    @notifications_blp.doc(security=SECURED)
    def post(self):
        """Send me the link that confirms my address again (nothing when it is confirmed)."""
        with database().transaction() as session:
            account = auth.require_account(session)
            sent = service.send_confirmation(session, notifier(), account, service.clock())
        return {"detail": "A confirmation link is on its way." if sent else "Your address is already confirmed."}


@notifications_blp.route("/auth/email-confirmation/confirm")
class Confirmation(MethodView):
    @notifications_blp.arguments(LinkTokenSchema)
    @notifications_blp.response(204)
    def post(self, payload):
        """Confirm an address with the link's token."""
        with database().transaction() as session:
            service.confirm_address(session, payload["token"], service.clock())


@notifications_blp.route("/accounts/me/notifications")
class Preferences(MethodView):
    @auth.person_required
    @notifications_blp.response(200, PreferencesSchema)
    @notifications_blp.doc(security=SECURED)
    def get(self):
        """Which kinds of messages I receive, and whether my address is confirmed."""
        with database().transaction() as session:
            account = auth.require_account(session)
            return {"email_confirmed": service.is_confirmed(session, account),
                    "topics": service.preferences(session, account.id)}

    @auth.person_required
    @notifications_blp.arguments(PreferencesSchema)
    @notifications_blp.response(200, PreferencesSchema)
    @notifications_blp.doc(security=SECURED)
    def patch(self, payload):
        """Turn kinds of messages on or off (security messages are always sent)."""
        with database().transaction() as session:
            account = auth.require_account(session)
            topics = service.set_preferences(session, account.id, payload["topics"], service.clock())
            return {"email_confirmed": service.is_confirmed(session, account), "topics": topics}


@notifications_blp.route("/notifications/report")
class DeliveryReport(MethodView):
    @auth.admin_required
    @notifications_blp.response(200, DeliveryReportSchema)
    @notifications_blp.doc(security=SECURED)
    def get(self):
        """Mails per status and the failures of the last days, without addresses or content (admin)."""
        with database().transaction() as session:
            return service.delivery_report(session, service.clock())
