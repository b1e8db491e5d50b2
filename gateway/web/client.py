"""Calls from the pages to the gateway's own public API, in-process, exactly as an outside program would."""
from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass, field

from flask import current_app, g, request, session
from werkzeug.test import Client


@dataclass
class ApiResult:
    status: int
    body: object = None
    problem: dict = field(default_factory=dict)
    raw: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def errors(self) -> dict:
        """Field name -> list of messages, from the problem's `errors`."""
        errors = self.problem.get("errors") or {}
        flat: dict[str, list[str]] = {}
        for name, messages in errors.items():
            flat[name] = _messages(messages)
        return flat


def _messages(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [m for item in value for m in _messages(item)]
    if isinstance(value, dict):
        return [f"{key}: {m}" for key, inner in value.items() for m in _messages(inner)]
    return [str(value)]


def call(method: str, path: str, json_body=None, query: dict | None = None, token: str | None = None,
         anonymous: bool = False, headers: dict | None = None) -> ApiResult:
    """Perform `method path` against this gateway's public API with the signed-in person's token.

    The call runs in an empty context so that the inner request gets its own Flask app context
    (its own `g`, its own caller) instead of reusing the page's.
    """
    app = current_app._get_current_object()
    headers = {"Accept": "application/json", "X-Request-Id": g.get("request_id") or "", **(headers or {})}
    if token is None and not anonymous:
        token = session.get("token")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if json_body is not None:
        data = json.dumps(json_body)
        headers["Content-Type"] = "application/json"
    environ = {"REMOTE_ADDR": request.remote_addr or "127.0.0.1"}
    client = Client(app)

    def perform():
        return client.open(path, method=method, data=data, headers=headers, query_string=query,
                           environ_base=environ)

    response = contextvars.Context().run(perform)
    try:
        raw = response.get_data()
        payload = response.get_json(force=True, silent=True) if raw and response.is_json else None
    finally:
        response.close()
    if 200 <= response.status_code < 300:
        return ApiResult(response.status_code, payload, raw=raw)
    problem = payload if isinstance(payload, dict) else {"status": response.status_code,
                                                          "detail": response.status}
    return ApiResult(response.status_code, None, problem)


def get(path: str, **kwargs) -> ApiResult:
    return call("GET", path, **kwargs)


def post(path: str, body=None, **kwargs) -> ApiResult:
    return call("POST", path, json_body=body if body is not None else {}, **kwargs)


def patch(path: str, body, **kwargs) -> ApiResult:
    return call("PATCH", path, json_body=body, **kwargs)


def delete(path: str, **kwargs) -> ApiResult:
    return call("DELETE", path, **kwargs)
