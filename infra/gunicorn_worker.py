"""Gunicorn's threaded worker, answering the requests it refuses itself as RFC 9457 problems.

Gunicorn refuses some requests before the application sees them (a header holding NUL or another
control character, a request line or headers too long): its own answer is a bare HTML page. This
worker writes the same status as `application/problem+json`, with a request id, like every other
error of the platform.
"""
from __future__ import annotations

import json
import threading
import uuid

from gunicorn import util
from gunicorn.http.errors import InvalidHeader, InvalidHeaderName
from gunicorn.workers.gthread import ThreadWorker

PROBLEM_TYPE_BASE = "https://veilleuse.readthedocs.io/problems/"
_current = threading.local()


def _field_errors(exc) -> dict | None:
    if isinstance(exc, InvalidHeader) and isinstance(getattr(exc, "hdr", None), str):
        return {exc.hdr.title(): ["a header value must not contain NUL or other control characters"]}
    if isinstance(exc, InvalidHeaderName):
        return {"headers": ["a header name holds a character that is not allowed"]}
    return None


def problem_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for gunicorn.util.write_error: the same status, as a problem with a request id."""
    request_id = uuid.uuid4().hex
    exc = getattr(_current, "exc", None)
    body = {"type": PROBLEM_TYPE_BASE + ("malformed-request" if status_int < 500 else "internal-error"),
            "title": reason, "status": status_int,
            "detail": (f"The request was refused before it was read: {mesg}" if status_int < 500 and mesg
                       else "Something went wrong on our side; it has been logged."),
            "instance": None, "request_id": request_id}
    errors = _field_errors(exc)
    if errors:
        body["errors"] = errors
    content = json.dumps(body).encode("ascii")
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nX-Request-Id: {request_id}\r\n"
            f"Content-Length: {len(content)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + content)


class ProblemWorker(ThreadWorker):
    def init_process(self):
        util.write_error = problem_error
        super().init_process()

    def handle_error(self, req, client, addr, exc):
        _current.exc = exc
        try:
            super().handle_error(req, client, addr, exc)
        finally:
            _current.exc = None
