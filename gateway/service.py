"""Use cases of the gateway: accounts, organisations, tokens, API keys and sites; no Flask here."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import events
from gateway.models import Account, ApiKey, Organisation, Site
from shared.bus import record_event
from shared.events import utcnow
from shared.identity import ORGANISATION_KINDS, ROLES, Identity
from shared.problems import Problem, conflict, get_or_not_found, invalid, not_found

hasher = PasswordHasher()
API_KEY_PREFIX = "vk_"
TOKEN_ISSUER = "veilleuse-gateway"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_PATTERN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
# A hash to verify against when the account does not exist, so that timing tells nothing.
_DUMMY_HASH = hasher.hash("not-a-real-password-0000")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str, email: str = "") -> None:
    if len(password) < 10:
        raise invalid("password", "use at least 10 characters", title="Password too weak")
    if len(password) > 128:
        raise invalid("password", "use at most 128 characters", title="Password too long")
    if len(set(password)) < 4:
        raise invalid("password", "use more different characters", title="Password too weak")
    if email and password.lower() == normalise_email(email):
        raise invalid("password", "must not be your e-mail address", title="Password too weak")


# -- accounts -----------------------------------------------------------------------------
def register_account(session: Session, email: str, password: str, display_name: str,
                     language: str = "fr", roles=("neighbour",), organisation_id: str | None = None,
                     account_id: str | None = None) -> Account:
    email = normalise_email(email)
    check_password_rules(password, email)
    if session.scalars(select(Account).where(Account.email == email)).first():
        raise conflict("E-mail already registered", "An account already uses this e-mail; sign in instead.",
                       errors={"email": ["already registered"]})
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and organisation is None:
        raise invalid("organisation_id", "no organisation has this id")
    now = utcnow()
    account = Account(id=account_id or str(uuid.uuid4()), email=email, display_name=display_name,
                      password_hash=hasher.hash(password), language=language, roles=list(roles),
                      organisation=organisation, created_at=now, password_changed_at=now)
    session.add(account)
    session.flush()
    return account


def get_account(session: Session, account_id: str) -> Account:
    return get_or_not_found(session, Account, account_id, "Account")


def list_accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.created_at)))


def update_own_account(session: Session, account: Account, changes: dict) -> Account:
    if "password" in changes:
        current = changes.pop("current_password", None)
        if not current or not _verify(account.password_hash, current):
            raise invalid("current_password", "give your current password to set a new one")
        check_password_rules(changes["password"], account.email)
        account.password_hash = hasher.hash(changes.pop("password"))
        account.password_changed_at = utcnow()
    changes.pop("current_password", None)
    for key, value in changes.items():
        setattr(account, key, value)
    return account


def administer_account(session: Session, account_id: str, changes: dict) -> Account:
    account = get_account(session, account_id)
    if "organisation_id" in changes:
        organisation_id = changes.pop("organisation_id")
        organisation = session.get(Organisation, organisation_id) if organisation_id else None
        if organisation_id and organisation is None:
            raise invalid("organisation_id", "no organisation has this id")
        account.organisation = organisation
    if "roles" in changes:
        account.roles = sorted(set(changes["roles"]))
    return account


def erase_account(session: Session, account: Account) -> None:
    """Delete the account; services learn it from `identity.account.erased` and forget the person."""
    session.delete(account)
    record_event(session, events.SOURCE, events.ACCOUNT_ERASED, {"account_id": account.id},
                 subject=account.id)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, email: str, password: str) -> Account:
    account = session.scalars(select(Account).where(Account.email == normalise_email(email))).first()
    if account is None:
        _verify(_DUMMY_HASH, password)
    elif _verify(account.password_hash, password):
        if hasher.check_needs_rehash(account.password_hash):
            account.password_hash = hasher.hash(password)
        return account
    raise Problem(401, "Wrong e-mail or password", "The e-mail or the password is not right.",
                  slug="invalid-credentials")


def issue_token(account: Account, key: str, ttl_seconds: int) -> dict:
    now = int(time.time())
    token = jwt.encode({"sub": account.id, "iat": now, "exp": now + ttl_seconds, "iss": TOKEN_ISSUER,
                        "typ": "access", "jti": uuid.uuid4().hex}, key, algorithm="HS256")
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl_seconds}


def account_from_token(session: Session, token: str, key: str) -> Account | None:
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], issuer=TOKEN_ISSUER,
                            options={"require": ["exp", "sub", "iat"]})
    except jwt.PyJWTError:
        return None
    account = session.get(Account, claims["sub"])
    if account is None:
        return None
    # A password change ends the sessions opened before it.
    if claims["iat"] < int(account.password_changed_at.timestamp()):
        return None
    return account


def identity_of_account(account: Account) -> Identity:
    org = account.organisation
    return Identity(subject=account.id, kind="account", roles=tuple(account.roles),
                    organisation_id=org.id if org else None, organisation_kind=org.kind if org else None,
                    language=account.language)


# -- organisations ---------------------------------------------------------------------------
def create_organisation(session: Session, name: str, kind: str, organisation_id: str | None = None) -> Organisation:
    if kind not in ORGANISATION_KINDS:
        raise invalid("kind", f"must be one of {', '.join(ORGANISATION_KINDS)}")
    org = Organisation(id=organisation_id or str(uuid.uuid4()), name=name, kind=kind, created_at=utcnow())
    session.add(org)
    session.flush()
    return org


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


# -- API keys ------------------------------------------------------------------------------------
def _hash_secret(secret: str) -> str:
    # Keys are 256-bit random: a plain SHA-256 is enough and keeps each request cheap.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, name: str, roles=(), created_by: str | None = None) -> tuple[ApiKey, str]:
    for role in roles:
        if role not in ROLES:
            raise invalid("roles", f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(id=str(uuid.uuid4()), name=name, prefix=prefix, secret_hash=_hash_secret(secret),
                 roles=list(roles), created_by=created_by, created_at=utcnow())
    session.add(key)
    session.flush()
    return key, f"{API_KEY_PREFIX}{prefix}_{secret}"


def api_key_from_header(session: Session, presented: str) -> ApiKey | None:
    if not presented.startswith(API_KEY_PREFIX):
        return None
    try:
        prefix, secret = presented[len(API_KEY_PREFIX):].split("_", 1)
    except ValueError:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, _hash_secret(secret)):
        return None
    return key


def identity_of_api_key(key: ApiKey) -> Identity:
    return Identity(subject=f"apikey:{key.id}", kind="program", roles=tuple(key.roles))


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke_api_key(session: Session, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise not_found("API key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


# -- sites -------------------------------------------------------------------------------------------
def check_opening_hours(hours: dict) -> dict:
    cleaned = {}
    for day, spans in hours.items():
        if day not in WEEKDAYS:
            raise invalid("opening_hours", f"unknown day {day!r}; days are {', '.join(WEEKDAYS)}")
        cleaned[day] = []
        for span in spans:
            opens, closes = span.get("opens", ""), span.get("closes", "")
            if not TIME_PATTERN.match(opens) or not TIME_PATTERN.match(closes):
                raise invalid("opening_hours", f"{day}: times are HH:MM, for example 09:00")
            if opens >= closes:
                raise invalid("opening_hours", f"{day}: {opens} must come before {closes}")
            cleaned[day].append({"opens": opens, "closes": closes})
        cleaned[day].sort(key=lambda s: s["opens"])
        for first, second in zip(cleaned[day], cleaned[day][1:]):
            if second["opens"] < first["closes"]:
                raise invalid("opening_hours", f"{day}: opening spans overlap")
    return cleaned


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid("timezone", "not a known IANA time zone, for example Europe/Paris") from None


def site_event_data(site: Site) -> dict:
    return {"site_id": site.id, "slug": site.slug, "name": site.name, "address": site.address,
            "timezone": site.timezone, "opening_hours": site.opening_hours, "version": site.version}


def create_site(session: Session, slug: str, name: str, address: str, timezone: str = "Europe/Paris",
                opening_hours: dict | None = None, description: str = "", site_id: str | None = None) -> Site:
    _check_timezone(timezone)
    if session.scalars(select(Site).where(Site.slug == slug)).first():
        raise conflict("Site exists", f"A site already uses the slug {slug!r}.", errors={"slug": ["already used"]})
    now = utcnow()
    site = Site(id=site_id or str(uuid.uuid4()), slug=slug, name=name, address=address,
                description=description, timezone=timezone,
                opening_hours=check_opening_hours(opening_hours or {}), version=1,
                created_at=now, updated_at=now)
    session.add(site)
    session.flush()
    record_event(session, events.SOURCE, events.SITE_CREATED, site_event_data(site), subject=site.id)
    return site


def get_site(session: Session, ref: str) -> Site:
    site = session.scalars(select(Site).where((Site.id == ref) | (Site.slug == ref))).first()
    if site is None:
        raise not_found("Site")
    return site


def list_sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).order_by(Site.name)))


def update_site(session: Session, ref: str, changes: dict) -> Site:
    site = get_site(session, ref)
    if "timezone" in changes:
        _check_timezone(changes["timezone"])
    if "opening_hours" in changes:
        changes["opening_hours"] = check_opening_hours(changes["opening_hours"])
    for key, value in changes.items():
        setattr(site, key, value)
    site.version += 1
    site.updated_at = utcnow()
    record_event(session, events.SOURCE, events.SITE_UPDATED, site_event_data(site), subject=site.id)
    return site
