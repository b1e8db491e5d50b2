"""The short-lived signed identity the gateway hands each service, and checks of roles."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import wraps

import jwt
from flask import current_app, g, request

from shared.problems import Problem

HEADER = "X-Veilleuse-Identity"
AUDIENCE = "veilleuse-services"
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


def sign_identity(identity: Identity, key: str, ttl_seconds: int = 60) -> str:
    now = int(time.time())
    claims = {
        "sub": identity.subject, "kind": identity.kind, "roles": list(identity.roles),
        "org": identity.organisation_id, "org_kind": identity.organisation_kind,
        "lang": identity.language, "scopes": list(identity.scopes),
        "aud": AUDIENCE, "iat": now, "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, key, algorithm="HS256")


def verify_identity(token: str, key: str) -> Identity:
    claims = jwt.decode(token, key, algorithms=["HS256"], audience=AUDIENCE,
                        options={"require": ["exp", "sub", "aud"]})
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
            identity = verify_identity(token, current_app.config["IDENTITY_SIGNING_KEY"])
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


def roles_required(*roles: str):
    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            require_roles(*roles)
            return fn(*args, **kwargs)
        return wrapper
    return decorator
