"""What a mail needs from a service (a reservation's requester, a distribution's pickup codes), read over
the services' internal endpoints with an identity the gateway signs for the notifier alone."""
from __future__ import annotations

import requests

from shared import keys
from shared.config import Settings, service_url
from shared.identity import HEADER as IDENTITY_HEADER
from shared.identity import Identity, sign_identity
from shared.internal import NOTIFIER

NOTIFIER_IDENTITY = Identity(subject=NOTIFIER, kind="service")


class SourceUnavailable(Exception):
    """A service did not answer usefully; the decision waits and is tried again."""


class Sources:
    def __init__(self, settings: Settings, http: requests.Session | None = None):
        self.settings = settings
        self.http = http or requests.Session()
        self.http.trust_env = False
        # Only the gateway's processes hold the private key; read once, when the notifier starts.
        self.signing_key = settings.identity_private_key or keys.identity_private_key()

    def get(self, service: str, path: str, params: dict | None = None):
        """The JSON a service answers, or None for a 404 (the thing is gone)."""
        cfg = self.settings
        headers = {IDENTITY_HEADER: sign_identity(NOTIFIER_IDENTITY, self.signing_key, cfg.identity_ttl_seconds),
                   "Accept": "application/json"}
        url = service_url(service).rstrip("/") + "/internal/notifications" + path
        try:
            response = self.http.get(url, params=params, headers=headers,
                                     timeout=(cfg.upstream_connect_timeout, max(cfg.upstream_read_timeout, 30)))
        except requests.RequestException as exc:
            raise SourceUnavailable(f"{service} unreachable: {type(exc).__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SourceUnavailable(f"{service} answered {response.status_code}")
        return response.json()

    # -- booking ---------------------------------------------------------------------------------------
    def reservation(self, reservation_id: str) -> dict | None:
        return self.get("booking", f"/reservations/{reservation_id}")

    # -- relay -----------------------------------------------------------------------------------------
    def distribution(self, distribution_id: str) -> dict | None:
        """The distribution and each basket's holder, kind, quantity, status and pickup code."""
        return self.get("relay", f"/distributions/{distribution_id}")

    def upcoming_distributions(self, starts_after: str, starts_before: str) -> list[dict]:
        found = self.get("relay", "/distributions", {"starts_after": starts_after, "starts_before": starts_before})
        return (found or {}).get("distributions", [])

    def site_volunteers(self, site_id: str) -> list[str]:
        return (self.get("relay", f"/sites/{site_id}/volunteers") or {}).get("account_ids", [])

    # -- grocery ---------------------------------------------------------------------------------------
    def households_ending(self, until: str) -> list[dict]:
        return (self.get("grocery", "/households/ending", {"until": until}) or {}).get("households", [])

    # -- housing ---------------------------------------------------------------------------------------
    def housing(self, path: str, params: dict | None = None):
        return self.get("housing", path, params)
