"""Single-use links (kept as a hash only) and the signed one-click unsubscribe token."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.notifications.models import AccountToken

PASSWORD_RESET = "password_reset"
CONFIRMATION = "confirmation"
INVITATION = "invitation"
LIFETIMES = {PASSWORD_RESET: timedelta(minutes=30), CONFIRMATION: timedelta(days=7),
             INVITATION: timedelta(days=14)}


class TokenRefused(Exception):
    """The link is unknown, used, expired, or for something else. `reason` is a stable code."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token_hash(token: str) -> str:
    # 256-bit random tokens: a plain SHA-256 is enough to keep the stored value useless.
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, purpose: str, now: datetime, account_id: str | None = None,
          email: str | None = None, data: dict | None = None) -> str:
    """A new link; the earlier unused ones of the same purpose and account stop working."""
    if account_id is not None:
        session.execute(update(AccountToken).where(
            AccountToken.account_id == account_id, AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None)).values(used_at=now))
    token = secrets.token_urlsafe(32)
    session.add(AccountToken(id=str(uuid.uuid4()), purpose=purpose, token_hash=token_hash(token),
                             account_id=account_id, email=email, data=data or {}, created_at=now,
                             expires_at=now + LIFETIMES[purpose]))
    session.flush()
    return token


def consume(session: Session, purpose: str, token: str, now: datetime) -> AccountToken:
    """Use a link once: the row, locked and marked used; TokenRefused otherwise."""
    row = session.scalars(select(AccountToken).where(AccountToken.token_hash == token_hash(token or ""))
                          .with_for_update()).first()
    if row is None or row.purpose != purpose:
        raise TokenRefused("unknown")
    if row.used_at is not None:
        raise TokenRefused("used")
    if row.expires_at <= now:
        raise TokenRefused("expired")
    row.used_at = now
    return row


def peek(session: Session, purpose: str, token: str, now: datetime) -> AccountToken | None:
    """The link's row if it would still work, without using it (pages show a form first)."""
    row = session.scalars(select(AccountToken).where(AccountToken.token_hash == token_hash(token or ""))).first()
    if row is None or row.purpose != purpose or row.used_at is not None or row.expires_at <= now:
        return None
    return row


# -- one-click unsubscribe: stateless, so a link in an old mail keeps working ------------------------
def _unsubscribe_key(secret: str) -> bytes:
    return hashlib.sha256(b"veilleuse-unsubscribe:" + secret.encode()).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unsubscribe_token(secret: str, account_id: str, topic: str) -> str:
    payload = f"{account_id}:{topic}".encode()
    signature = hmac.new(_unsubscribe_key(secret), payload, hashlib.sha256).digest()[:18]
    return f"{_b64(payload)}.{_b64(signature)}"


def read_unsubscribe_token(secret: str, token: str) -> tuple[str, str]:
    """(account_id, topic) of a genuine token; TokenRefused otherwise."""
    try:
        encoded, signature = token.split(".", 1)
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        expected = hmac.new(_unsubscribe_key(secret), payload, hashlib.sha256).digest()[:18]
        if not hmac.compare_digest(_b64(expected), signature):
            raise TokenRefused("unknown")
        account_id, topic = payload.decode().split(":", 1)
    except (ValueError, UnicodeDecodeError):
        raise TokenRefused("unknown") from None
    return account_id, topic
