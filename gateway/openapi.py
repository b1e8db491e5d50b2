"""One OpenAPI document for the whole platform: the gateway's own API plus every service's, prefixed."""
from __future__ import annotations

import copy
import json
import time

from gateway.proxy import http_session, upstreams

CACHE_SECONDS = 30
_cache: dict = {}


def _service_spec(name: str, base: str) -> dict | None:
    cached = _cache.get(name)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        response = http_session().get(f"{base}/openapi.json", timeout=(1, 3))
        response.raise_for_status()
        spec = response.json()
    except Exception:  # noqa: BLE001 - a service that is down is left out, and said so
        return None
    _cache[name] = (time.monotonic() + CACHE_SECONDS, spec)
    return spec


def _prefixed(spec: dict, name: str) -> tuple[dict, dict, dict]:
    """Paths under /api/<name> and schemas renamed <Name><Schema>, references rewritten."""
    prefix = name.capitalize()
    components = spec.get("components", {})
    schemas = components.get("schemas", {})
    text = json.dumps({"paths": spec.get("paths", {}), "schemas": schemas,
                       "responses": components.get("responses", {})})
    for schema_name in sorted(schemas, key=len, reverse=True):
        text = text.replace(f'"#/components/schemas/{schema_name}"',
                            f'"#/components/schemas/{prefix}{schema_name}"')
    data = json.loads(text)
    paths = {}
    for path, operations in data["paths"].items():
        for operation in operations.values():
            if isinstance(operation, dict) and "tags" in operation:
                operation["tags"] = [f"{name}: {tag}" for tag in operation["tags"]]
        paths[f"/api/{name}{path}"] = operations
    return paths, {f"{prefix}{key}": value for key, value in data["schemas"].items()}, data["responses"]


def _problem_media_type(responses: dict, all_errors: bool = False) -> None:
    """Errors are served as application/problem+json: say so in the document."""
    for code, response in responses.items():
        if not isinstance(response, dict) or "content" not in response:
            continue
        if all_errors or code == "default" or code[:1] in "45":
            content = response["content"]
            if "application/json" in content:
                content["application/problem+json"] = content.pop("application/json")


PROBLEM_RESPONSE = {"$ref": "#/components/responses/DEFAULT_ERROR"}


def _problems_of(path: str, operation: dict) -> list[str]:
    """The error statuses an operation can answer, whatever it does: each one a problem."""
    codes = ["400", "422"]  # a query, path or body the platform cannot read, or refuses
    if "requestBody" in operation or operation.get("security"):
        codes += ["413", "415"]  # a body over MAX_BODY_BYTES, or not JSON
    if operation.get("security"):
        codes += ["401", "403"]
    if "{" in path:
        codes.append("404")
    return codes


def _problemize(spec: dict) -> None:
    # The shared component responses (DEFAULT_ERROR, UNPROCESSABLE_ENTITY, ...) are all errors.
    _problem_media_type(spec.get("components", {}).get("responses", {}), all_errors=True)
    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                for code in _problems_of(path, operation):
                    operation["responses"].setdefault(code, PROBLEM_RESPONSE)
                operation["responses"].setdefault("default", PROBLEM_RESPONSE)
                _problem_media_type(operation["responses"])


def merged_spec(own_spec: dict) -> dict:
    spec = copy.deepcopy(own_spec)
    spec["info"] = {"title": "Veilleuse API", "version": "1.0.0",
                    "description": "The whole platform through its gateway. Errors are RFC 9457 "
                                   "application/problem+json. Events: see docs/events.md."}
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "an access token from POST /api/auth/token, or a program's API key"}}
    missing = []
    for name, base in upstreams().items():
        service_spec = _service_spec(name, base)
        if service_spec is None:
            missing.append(name)
            continue
        paths, schemas, responses = _prefixed(service_spec, name)
        for response_name, response in responses.items():
            components.setdefault("responses", {}).setdefault(response_name, response)
        for operations in paths.values():
            for operation in operations.values():
                if isinstance(operation, dict) and operation.get("security"):
                    operation["security"] = [{"bearer": []}]
        spec.setdefault("paths", {}).update(paths)
        components["schemas"].update(schemas)
    if missing:
        spec["info"]["x-unavailable-services"] = missing
    _problemize(spec)
    return spec
