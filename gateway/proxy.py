"""Forwarding `/api/<service>/...` to the services: pooled connections, timeouts, signed identity."""
from __future__ import annotations

import logging
import threading

import requests
from flask import Response, g, request
from requests.adapters import HTTPAdapter

from gateway.auth import resolve_caller
from shared.config import SERVICES, service_url
from shared.identity import HEADER as IDENTITY_HEADER
from shared.identity import sign_identity
from shared.problems import Problem
from shared.web import REQUEST_ID_HEADER, settings

log = logging.getLogger("veilleuse.gateway")
FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "Accept-Language", "If-None-Match",
                             "If-Match", "Idempotency-Key")
PASSED_RESPONSE_HEADERS = ("Content-Type", "Content-Disposition", "Location", "Cache-Control", "ETag",
                           "Retry-After", "Link", "Last-Modified")
_local = threading.local()


def http_session() -> requests.Session:
    """One pooled session per thread: requests' sessions are not safe to share across threads."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=len(SERVICES), pool_maxsize=16, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.trust_env = False
        _local.session = session
    return session


def upstreams() -> dict[str, str]:
    return {name: service_url(name).rstrip("/") for name in SERVICES}


def forward(service_name: str, path: str) -> Response:
    base = upstreams().get(service_name)
    if base is None:
        raise Problem(404, "Not found", f"There is no API under /api/{service_name}.", slug="not-found")
    cfg = settings()
    identity = resolve_caller()
    headers = {name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers}
    headers[REQUEST_ID_HEADER] = g.request_id
    headers["X-Forwarded-For"] = request.remote_addr or ""
    if identity is not None:
        headers[IDENTITY_HEADER] = sign_identity(identity, cfg.identity_key, cfg.identity_ttl_seconds)
    url = f"{base}/{path}"
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    try:
        upstream = http_session().request(
            request.method, url,
            data=request.get_data() if request.method not in ("GET", "HEAD") else None,
            headers=headers, timeout=(cfg.upstream_connect_timeout, cfg.upstream_read_timeout),
            allow_redirects=False,
        )
    except requests.Timeout:
        log.warning("%s did not answer in time", service_name)
        raise Problem(504, "Gateway timeout", f"The {service_name} service did not answer in time; "
                      "nothing is known about the outcome. Check before trying again.", slug="upstream-timeout",
                      service=service_name) from None
    except requests.ConnectionError:
        log.warning("%s is unreachable", service_name)
        raise Problem(503, "Service unavailable", f"The {service_name} service is unavailable; "
                      "try again in a moment.", slug="upstream-unavailable", service=service_name) from None
    response = Response(upstream.content, status=upstream.status_code)
    for name in PASSED_RESPONSE_HEADERS:
        if name in upstream.headers:
            value = upstream.headers[name]
            if name == "Location" and value.startswith("/"):
                value = f"/api/{service_name}{value}"
            response.headers[name] = value
    return response
