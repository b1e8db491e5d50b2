"""Rate limits of the gateway (sign-in), per address and per account.

The attempts are counted in the storage named by RATELIMIT_STORAGE_URI (Redis in a deployment), so that a
limit holds across gunicorn workers and replicas; only development mode counts them in memory, per process.
"""
import os

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# The storage comes from the app's config (RATELIMIT_STORAGE_URI, RATELIMIT_KEY_PREFIX), set by create_app.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def login_limit_per_address() -> str:
    return os.environ.get("LOGIN_RATE_LIMIT_ADDRESS", "30 per minute")


def login_limit_per_account() -> str:
    return os.environ.get("LOGIN_RATE_LIMIT_ACCOUNT", "10 per minute")
