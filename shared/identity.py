"""The short-lived signed identity the gateway hands each service, and checks of roles.

The gateway signs it with its Ed25519 private key (EdDSA); a service holds only the public key, so it can
check an identity but never make one: a service taken over cannot speak as an admin to the others.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app, g, request

from shared.problems import Problem

HEADER = "X-Veilleuse-Identity"
AUDIENCE = "veilleuse-services"
ISSUER = "veilleuse-gateway"
ALGORITHM = "EdDSA"  # the only one a service accepts: never HS256, never "none"
PUBLIC_KEY_CONFIG = "IDENTITY_PUBLIC_KEY"
ROLES = ("neighbour", "veilleur", "admin")
ORGANISATION_KINDS = ("association", "citizen_group", "public_body", "company")


@dataclass(frozen=True)
class Identity:
    subject: str                       # account id, or "apikey:<id>" for a program
    kind: str = "account"              # "account" | "program"
    roles: tuple[str, ...] = ()
    organisation_id: str | None = None
    organisation_kind: str | None = None
    language: str = "fr"
    scopes: tuple[str, ...] = field(default_factory=tuple)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_staff(self) -> bool:
        return self.has_role("veilleur", "admin")


def sign_identity(identity: Identity, key: Ed25519PrivateKey, ttl_seconds: int = 60) -> str:
    now = int(time.time())
    claims = {
        "sub": identity.subject, "kind": identity.kind, "roles": list(identity.roles),
        "org": identity.organisation_id, "org_kind": identity.organisation_kind,
        "lang": identity.language, "scopes": list(identity.scopes),
        "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_identity(token: str, key: Ed25519PublicKey) -> Identity:
    claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                        options={"require": ["exp", "sub", "aud", "iss"]})
    return Identity(
        subject=claims["sub"], kind=claims.get("kind", "account"),
        roles=tuple(claims.get("roles") or ()), organisation_id=claims.get("org"),
        organisation_kind=claims.get("org_kind"), language=claims.get("lang") or "fr",
        scopes=tuple(claims.get("scopes") or ()),
    )


def load_identity() -> Identity | None:
    """Verify the identity header of the current request; None when absent."""
    if "identity" in g:
        return g.identity
    token = request.headers.get(HEADER)
    identity = None
    if token:
        try:
            identity = verify_identity(token, current_app.config[PUBLIC_KEY_CONFIG])
        except jwt.PyJWTError:
            raise Problem(401, "Unauthorized", "The identity given with this request is invalid or expired.",
                          slug="unauthorized") from None
    g.identity = identity
    return identity


def current_identity(required: bool = True) -> Identity | None:
    identity = load_identity()
    if identity is None and required:
        raise Problem(401, "Unauthorized", "Sign in first: this action needs an account.", slug="unauthorized")
    return identity


def require_person() -> Identity:
    """A signed-in person: programs (API keys) read and listen, they don't book, subscribe or post."""
    identity = current_identity()
    if identity.kind != "account":
        raise Problem(403, "Forbidden", "This action is for a person's account, not an API key.", slug="forbidden")
    return identity


def require_roles(*roles: str) -> Identity:
    identity = current_identity()
    if not identity.has_role(*roles):
        raise Problem(403, "Forbidden", f"This action is for: {', '.join(roles)}.", slug="forbidden")
    return identity


# -- who may call a view, checked before its body or query is read -------------------------------------------
ACCESS_CHECK = "_veilleuse_access_check"


def checked_first(check: Callable[[], object]):
    """Run `check()` (raising a 401 or 403 problem) before the view, and before its arguments are parsed.

    flask-smorest parses the body in the view's decorators, so a check inside the view would come after a 422
    for a malformed body: whoever may not call the view would learn its schema and get the wrong answer. The
    check is kept on the view (whatever the order of the decorators) and run by `run_access_check`, a
    `before_request` hook of every app; the wrapper runs it too where no hook did.
    """
    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if not g.get("access_checked"):
                check()
            return fn(*args, **kwargs)
        setattr(wrapper, ACCESS_CHECK, check)
        return wrapper
    return decorator


def run_access_check() -> None:
    """`before_request`: the check the matched view declared with `checked_first`, if any."""
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = "get" if request.method == "HEAD" and not hasattr(view_class, "head") else request.method.lower()
        view = getattr(view_class, method, None)
    check = getattr(view, ACCESS_CHECK, None)
    if check is not None:
        check()
        g.access_checked = True


def roles_required(*roles: str):
    """For a view only these roles may call; the others get 403 (401 when anonymous), whatever the body."""
    return checked_first(lambda: require_roles(*roles))


def person_required(fn):
    """For a view only a person's account may call: a program's API key gets 403, the anonymous 401."""
    return checked_first(require_person)(fn)


def organisation_member_or_staff(fn):
    """For a view about the organisation named in its path (`organisation_id`): its members and staff."""
    def check() -> None:
        identity = current_identity()
        if not (identity.is_staff or identity.organisation_id == (request.view_args or {}).get("organisation_id")):
            raise Problem(403, "Forbidden", "Only a member of this organisation or a veilleur does this.",
                          slug="forbidden")
    return checked_first(check)(fn)


def signed_in(fn):
    """For a view that needs an identity (any), whatever its query or body."""
    return checked_first(current_identity)(fn)
