"""Who is calling: a Bearer access token, or a program's API key; resolved once per request."""
from __future__ import annotations

from flask import g, request

from gateway import service
from gateway.models import Account
from shared.identity import Identity, checked_first
from shared.problems import Problem
from shared.web import database, settings

UNAUTHORIZED = dict(slug="unauthorized", title="Unauthorized")


def _credentials() -> str | None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Problem(401, detail="Use `Authorization: Bearer <token>`.", **UNAUTHORIZED)
        return value.strip()
    return request.headers.get("X-Api-Key") or None


def resolve_caller() -> Identity | None:
    """The caller's identity, None when anonymous; a 401 problem for bad credentials."""
    if "caller" in g:
        return g.caller
    presented = _credentials()
    identity, account = None, None
    if presented:
        with database().sessions() as session:
            if presented.startswith(service.API_KEY_PREFIX):
                key = service.api_key_from_header(session, presented)
                if key is None:
                    raise Problem(401, detail="This API key is unknown or revoked.", **UNAUTHORIZED)
                identity = service.identity_of_api_key(key)
            else:
                account = service.account_from_token(session, presented, settings().token_key)
                if account is None:
                    raise Problem(401, detail="Your session has expired: sign in again.", **UNAUTHORIZED)
                identity = service.identity_of_account(account)
    g.caller, g.account_id = identity, account.id if account else None
    return identity


def require_caller() -> Identity:
    identity = resolve_caller()
    if identity is None:
        raise Problem(401, detail="Sign in first: this needs an account.", **UNAUTHORIZED)
    return identity


def require_person() -> Identity:
    identity = require_caller()
    if identity.kind != "account":
        raise Problem(403, "Forbidden", "This is for people signed in, not for programs.", slug="forbidden")
    return identity


def require_account(session) -> Account:
    """The signed-in person's account row (programs have none)."""
    return service.get_account(session, require_person().subject)


def require_admin() -> Identity:
    identity = require_caller()
    if not identity.has_role("admin"):
        raise Problem(403, "Forbidden", "This action is for admins.", slug="forbidden")
    return identity


# Decorators of views: the check runs before the body is read (shared.identity.checked_first).
def caller_required(fn):
    return checked_first(require_caller)(fn)


def person_required(fn):
    return checked_first(require_person)(fn)


def admin_required(fn):
    return checked_first(require_admin)(fn)
