"""Forwarding `/api/<service>/...` to the services: pooled connections, timeouts, signed identity."""
from __future__ import annotations

import http.client
import logging
import select
import socket
import threading
from urllib.parse import quote

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
                           "Retry-After", "Link", "Last-Modified", "Allow")
PATH_SAFE = "/:@!$&'()*+,;=-._~"
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


class _Connections:
    """Keep-alive HTTP/1.1 connections to the services, one per service and thread.

    The proxy path uses http.client directly: requests and urllib3 cost about 0.75 ms of CPU per
    call on top of it (measured by `make bench`), which is most of what the gateway adds to a request.
    """

    def __init__(self):
        self.local = threading.local()

    def get(self, base: str, connect_timeout: float, read_timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        pool = self.local.__dict__.setdefault("pool", {})
        conn = pool.get(base)
        if conn is not None and conn.sock is not None and not _dropped(conn.sock):
            conn.sock.settimeout(read_timeout)
            return conn, True
        if conn is not None:
            conn.close()
        host, _, port = base.split("://", 1)[1].partition(":")
        conn = http.client.HTTPConnection(host, int(port or 80), timeout=connect_timeout)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sock.settimeout(read_timeout)
        pool[base] = conn
        return conn, False

    def discard(self, base: str) -> None:
        conn = self.local.__dict__.get("pool", {}).pop(base, None)
        if conn is not None:
            conn.close()


def _dropped(sock: socket.socket) -> bool:
    """An idle keep-alive connection that is readable was closed by the service (or is out of step)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


_connections = _Connections()
_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def _send(base: str, method: str, target: str, body: bytes | None, headers: dict,
          connect_timeout: float, read_timeout: float) -> tuple[int, bytes, dict]:
    """One request on a pooled connection; a reused connection the service closed is retried once."""
    for attempt in (1, 2):
        conn, reused = _connections.get(base, connect_timeout, read_timeout)
        sent = False
        try:
            conn.request(method, target, body=body, headers=headers)
            sent = True
            upstream = conn.getresponse()
            content = upstream.read()
        except Exception as exc:
            _connections.discard(base)
            # Retry only what cannot have reached the service twice: a send on a dead kept-alive
            # connection, or a safe method whose kept-alive connection was closed under it.
            retry = reused and isinstance(exc, _RETRYABLE) and (not sent or method in ("GET", "HEAD"))
            if attempt == 1 and retry:
                continue
            raise
        if upstream.will_close:
            _connections.discard(base)
        passed = {}
        for name in PASSED_RESPONSE_HEADERS:
            values = upstream.headers.get_all(name)
            if values:
                passed[name] = ", ".join(values)
        return upstream.status, content, passed
    raise AssertionError("unreachable")


def _send_with_requests(method: str, url: str, body: bytes | None, headers: dict,
                        connect_timeout: float, read_timeout: float) -> tuple[int, bytes, dict]:
    upstream = http_session().request(method, url, data=body, headers=headers,
                                      timeout=(connect_timeout, read_timeout), allow_redirects=False)
    return upstream.status_code, upstream.content, upstream.headers


_default_http_session = http_session


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
        headers[IDENTITY_HEADER] = sign_identity(identity, cfg.identity_private_key, cfg.identity_ttl_seconds)
    # Flask hands us the decoded path: encode it again so that "%", "?", "#" or non-ASCII in an id stay data.
    target = "/" + quote(path, safe=PATH_SAFE)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    body = request.get_data() if request.method not in ("GET", "HEAD") else None
    timeouts = (cfg.upstream_connect_timeout, cfg.upstream_read_timeout)
    try:
        if http_session is _default_http_session:
            status, content, upstream_headers = _send(base, request.method, target, body, headers, *timeouts)
        else:  # a session put in place by tests (in-process services)
            status, content, upstream_headers = _send_with_requests(request.method, base + target, body,
                                                                    headers, *timeouts)
    except (TimeoutError, requests.Timeout):
        log.warning("%s did not answer in time", service_name)
        raise Problem(504, "Gateway timeout", f"The {service_name} service did not answer in time; "
                      "nothing is known about the outcome. Check before trying again.", slug="upstream-timeout",
                      service=service_name) from None
    except (requests.ConnectionError, OSError, http.client.HTTPException):
        log.warning("%s is unreachable", service_name)
        raise Problem(503, "Service unavailable", f"The {service_name} service is unavailable; "
                      "try again in a moment.", slug="upstream-unavailable", service=service_name) from None
    response = Response(content, status=status)
    for name in PASSED_RESPONSE_HEADERS:
        value = upstream_headers.get(name)
        if value is not None:
            if name == "Location" and value.startswith("/"):
                value = f"/api/{service_name}{value}"
            response.headers[name] = value
    return response
