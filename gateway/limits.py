"""Rate limits of the gateway (sign-in), per address and per account."""
import os

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", default_limits=[],
                  headers_enabled=True)


def login_limit_per_address() -> str:
    return os.environ.get("LOGIN_RATE_LIMIT_ADDRESS", "30 per minute")


def login_limit_per_account() -> str:
    return os.environ.get("LOGIN_RATE_LIMIT_ACCOUNT", "10 per minute")
