"""Internal endpoints of the services: only the gateway's notifier may call them (a signed service identity)."""
from __future__ import annotations

from shared.identity import Identity, current_identity
from shared.problems import Problem

NOTIFIER = "service:notifier"
PREFIX = "/internal/notifications"


def require_notifier() -> Identity:
    """The gateway's notifier and nobody else: people, programs and other services get a 403."""
    identity = current_identity()
    if identity.kind != "service" or identity.subject != NOTIFIER:
        raise Problem(403, "Forbidden", "This endpoint is internal to the platform.", slug="forbidden")
    return identity
