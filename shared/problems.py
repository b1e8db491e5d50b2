"""RFC 9457 problem details for every 4xx and 5xx, with field errors and the request id."""
from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from shared.logs import request_id_var

log = logging.getLogger("veilleuse.http")
PROBLEM_TYPE_BASE = "https://veilleuse.readthedocs.io/problems/"
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """Raised by use cases and views; rendered as application/problem+json."""

    def __init__(self, status: int, title: str, detail: str | None = None, slug: str | None = None,
                 errors: dict | None = None, **extra):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.slug = slug or title.lower().replace(" ", "-")
        self.errors, self.extra = errors, extra

    def body(self) -> dict:
        return problem_body(self.status, self.title, self.detail, self.slug, self.errors, **self.extra)


def problem_body(status: int, title: str, detail: str | None = None, slug: str | None = None,
                 errors: dict | None = None, **extra) -> dict:
    body = {
        "type": PROBLEM_TYPE_BASE + (slug or "about"),
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path if request else None,
        "request_id": request_id_var.get(),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(body: dict, headers: dict | None = None) -> Response:
    try:
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate echoed from the input: escaped, still valid JSON
        content = json.dumps(body).encode("ascii")
    response = Response(content, status=body["status"], mimetype=MEDIA_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def not_found(what: str, detail: str | None = None) -> Problem:
    return Problem(404, f"{what} not found", detail or f"No {what.lower()} has this id.", slug="not-found")


def get_or_not_found(session, model, key, what: str):
    """The row of `model` with this primary key, or a 404 problem naming what was looked for."""
    row = session.get(model, key)
    if row is None:
        raise not_found(what)
    return row


def invalid(field: str, message: str, title: str = "Invalid input", status: int = 422) -> Problem:
    return Problem(status, title, f"{field}: {message}", slug="invalid-input", errors={field: [message]})


def conflict(title: str, detail: str, **extra) -> Problem:
    return Problem(409, title, detail, slug="conflict", **extra)


def _field_errors(messages) -> dict:
    """Flatten webargs' {"json": {"field": [...]}} into {"field": [...]}."""
    if not isinstance(messages, dict):
        return {"body": messages if isinstance(messages, list) else [str(messages)]}
    flattened: dict = {}
    for location, errors in messages.items():
        if isinstance(errors, dict) and location in ("json", "query", "form", "headers", "files", "path"):
            flattened.update(errors)
        else:
            flattened[location] = errors
    return flattened


def install_problem_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc.body())

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        data = getattr(exc, "data", None) or {}
        messages = data.get("messages")
        headers = dict(getattr(exc, "get_headers", lambda: [])() or [])
        headers.pop("Content-Type", None)
        if messages:
            errors = _field_errors(messages)
            fields = ", ".join(sorted(errors))
            if exc.code == 400 and isinstance(messages.get("json"), list):
                return problem_response(problem_body(
                    400, "Malformed request body",
                    "The body is not valid JSON: send a JSON object with Content-Type application/json.",
                    slug="malformed-body", errors={"body": messages["json"]}), headers)
            return problem_response(problem_body(
                exc.code or 422, "Invalid input", f"Check these fields: {fields}.",
                slug="invalid-input", errors=errors), headers)
        detail = exc.description if exc.description else exc.name
        return problem_response(problem_body(exc.code or 500, exc.name, detail,
                                             slug=exc.name.lower().replace(" ", "-")), headers)

    @app.errorhandler(OperationalError)
    def _database_down(exc):
        log.error("database unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return problem_response(problem_body(
            503, "Service unavailable", "The database cannot be reached; nothing was saved. Try again shortly.",
            slug="database-unavailable"), {"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return _database_down(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(problem_body(
            500, "Internal server error", "Something went wrong on our side; it has been logged.",
            slug="internal-error"))
