"""Settings read from environment variables, with defaults that work on a laptop (keys excepted: shared/keys.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.keys import KEY_FILES

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("booking", "relay", "grocery", "housing")
DEFAULT_PORTS = {"gateway": 8000, "booking": 8001, "relay": 8002, "grocery": 8003, "housing": 8004}


def var_dir() -> Path:
    path = Path(os.environ.get("VAR_DIR", ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(component: str) -> str:
    """`<COMPONENT>_DATABASE_URL`, else a SQLite file under var/."""
    url = os.environ.get(f"{component.upper()}_DATABASE_URL")
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{var_dir() / (component + '.db')}"


def service_url(component: str) -> str:
    return os.environ.get(
        f"{component.upper()}_URL", f"http://127.0.0.1:{DEFAULT_PORTS[component]}"
    )


@dataclass(frozen=True)
class Settings:
    component: str
    database_url: str
    amqp_url: str = "amqp://guest:guest@localhost:5672/%2F"
    exchange: str = "veilleuse.events"
    dead_letter_exchange: str = "veilleuse.dlx"
    # Keys: None here means "read by the process that needs it, when it starts" (shared/keys.py); tests pass them.
    identity_private_key: Ed25519PrivateKey | None = None
    identity_public_key: Ed25519PublicKey | None = None
    token_key: str | None = None
    web_secret_key: str | None = None
    ratelimit_storage_uri: str | None = None
    ratelimit_key_prefix: str = "veilleuse"
    identity_ttl_seconds: int = 60
    token_ttl_seconds: int = 3600
    upstream_connect_timeout: float = 1.0
    upstream_read_timeout: float = 5.0
    prefetch: int = 32
    bus_retention_days: int = 14
    max_body_bytes: int = 64 * 1024
    log_level: str = "INFO"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, component: str, **overrides) -> "Settings":
        env = os.environ
        values = dict(
            component=component,
            database_url=database_url(component),
            amqp_url=env.get("AMQP_URL", cls.amqp_url),
            exchange=env.get("EVENTS_EXCHANGE", cls.exchange),
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI") or None,
            ratelimit_key_prefix=env.get("RATELIMIT_KEY_PREFIX") or cls.ratelimit_key_prefix,
            token_ttl_seconds=int(env.get("TOKEN_TTL_SECONDS", cls.token_ttl_seconds)),
            upstream_connect_timeout=float(
                env.get("UPSTREAM_CONNECT_TIMEOUT", cls.upstream_connect_timeout)
            ),
            upstream_read_timeout=float(env.get("UPSTREAM_READ_TIMEOUT", cls.upstream_read_timeout)),
            prefetch=int(env.get("AMQP_PREFETCH", cls.prefetch)),
            bus_retention_days=int(env.get("BUS_RETENTION_DAYS", cls.bus_retention_days)),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", cls.max_body_bytes)),
            log_level=env.get("LOG_LEVEL", cls.log_level),
        )
        values.update(overrides)
        return cls(**values)


KEY_VARIABLES = tuple(KEY_FILES)
# Every variable the code reads; docker-compose and the README are checked against it.
ENV_VARIABLES = (
    "AMQP_URL", "EVENTS_EXCHANGE", "VEILLEUSE_ENV", "TOKEN_TTL_SECONDS",
    *KEY_VARIABLES, *(f"{name}_FILE" for name in KEY_VARIABLES),
    "RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX",
    "UPSTREAM_CONNECT_TIMEOUT", "UPSTREAM_READ_TIMEOUT", "AMQP_PREFETCH", "MAX_BODY_BYTES", "LOG_LEVEL", "VAR_DIR",
    "DEMO_PASSWORD", "LOGIN_RATE_LIMIT_ADDRESS", "LOGIN_RATE_LIMIT_ACCOUNT",
    "WEB_SECURE_COOKIES", "WEB_WORKERS", "WEB_THREADS", "HOUSING_HOUSEKEEPING_SECONDS",
    "BUS_RETENTION_DAYS",
    # The notifier (gateway/notifications, docs/notifications.md).
    "SMTP_URL", "MAIL_FROM", "MAIL_TO_FILES", "PUBLIC_BASE_URL",
    "PASSWORD_RESET_RATE_LIMIT_ADDRESS", "PASSWORD_RESET_RATE_LIMIT_ACCOUNT",
    *(f"{c.upper()}_DATABASE_URL" for c in ("gateway", *SERVICES)),
    *(f"{c.upper()}_URL" for c in SERVICES),
)
