"""Rate limits of the gateway (sign-in), per address and per account.

The attempts are counted in the storage named by RATELIMIT_STORAGE_URI (Redis in a deployment), so that a
limit holds across gunicorn workers and replicas; only development mode counts them in memory, per process.
"""
import hashlib
import os

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from shared.problems import Problem
from shared.web import parse_json_body

# The storage comes from the app's config (RATELIMIT_STORAGE_URI, RATELIMIT_KEY_PREFIX), set by create_app.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def login_limit_per_address() -> str:
    return os.environ.get("LOGIN_RATE_LIMIT_ADDRESS", "30 per minute")


def login_limit_per_account() -> str:
    return os.environ.get("LOGIN_RATE_LIMIT_ACCOUNT", "10 per minute")


def email_in_body_key(prefix: str) -> str:
    """A counter per e-mail address asked for, named by a digest of the address: the limiter logs its keys,
    and no address may reach a log line. Read as safely as the request guard reads bodies."""
    try:
        body = parse_json_body(request.get_data(cache=True)) if request.is_json else None
    except Problem:
        body = None
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str):
        return f"{prefix}:?"
    return f"{prefix}:{hashlib.sha256(email.strip().lower().encode('utf-8')).hexdigest()[:32]}"
