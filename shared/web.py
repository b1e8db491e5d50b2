"""The Flask app every service is built on: OpenAPI, problems, request ids, identity, health."""
from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from datetime import datetime
from functools import wraps

from flask import Flask, Response, current_app, g, request
from flask_smorest import Api
from flask_smorest.arguments import ArgumentsMixin
from marshmallow import INCLUDE, RAISE, Schema, fields

from shared import events, keys
from shared.bus.amqp import broker_reachable
from shared.bus.outbox import outbox_health
from shared.config import Settings
from shared.db import Database
from shared.identity import PUBLIC_KEY_CONFIG, load_identity, run_access_check
from shared.logs import configure_logging, request_id_var
from shared.problems import Problem, install_problem_handlers, problem_body, problem_response

log = logging.getLogger("veilleuse.http")
REQUEST_ID_HEADER = "X-Request-Id"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
OPEN_PATHS = {"/healthz", "/readyz", "/openapi.json"}


class ProblemSchema(Schema):
    """RFC 9457 problem details; extension members (e.g. `remaining_cents`) may be added."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"description": "URI of the problem type"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    errors = fields.Dict(keys=fields.String(), metadata={"description": "field name -> messages"})


class VeilleuseApi(Api):
    ERROR_SCHEMA = ProblemSchema


def _refuse_unknown_query_parameters() -> None:
    """Bodies refuse unknown fields (marshmallow's RAISE); make query strings do the same.

    webargs ignores unknown query parameters by default, so `?stauts=requested` would silently
    list everything. Every flask-smorest blueprint shares this one parser.
    """
    parser = ArgumentsMixin.ARGUMENTS_PARSER
    parser.DEFAULT_UNKNOWN_BY_LOCATION = {**parser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}


_refuse_unknown_query_parameters()


def now() -> datetime:
    """The time of this request: the app's `CLOCK` (a function a test sets), else the real UTC time."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock is not None else events.utcnow()


def database() -> Database:
    return current_app.extensions["veilleuse.db"]


def settings() -> Settings:
    return current_app.extensions["veilleuse.settings"]


MAX_JSON_DEPTH = 32
SAFE_BODY_METHODS = ("GET", "HEAD", "OPTIONS")
BODY_LOCATIONS = ("json", "form", "files", "json_or_form")
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _invalid_character(where: str, char: str, status: int = 422) -> Problem:
    """Text the request carries well-formed, but that no database stores (422); in a header, where
    HTTP itself forbids it, a malformed request (400)."""
    what = "a NUL character" if char == "\x00" else "a lone surrogate (half of a UTF-16 pair)"
    return Problem(status, "Invalid character", f"{where}: text must not contain {what}; send valid Unicode text.",
                   slug="invalid-character", errors={where: [f"contains {what}"]})


def _malformed(message: str) -> Problem:
    return Problem(400, "Malformed request body",
                   f"The body is not JSON this API can read: {message}", slug="malformed-body",
                   errors={"body": [message]})


def _json_depth(text: str) -> int:
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"the number {text[:20]}... is too large")
    return number


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _check_text(value, where: str) -> None:
    """Refuse what no database stores and no JSON encoder writes: NUL and lone surrogates."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found:
            raise _invalid_character(where or "body", found.group())
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _UNSTORABLE.search(key)
            if found:
                raise _invalid_character(where or "body", found.group())
            _check_text(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, f"{where}.{index}" if where else str(index))


def parse_json_body(data: bytes, max_depth: int = MAX_JSON_DEPTH):
    """Our own JSON reading, before any view: bounded nesting, finite numbers, storable text.

    The standard parser recurses once per level (a 2 KB body 1,000 levels deep ends in a
    RecursionError) and accepts NaN, 1e999 and lone surrogates; each is a 400 naming the body here.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("it is not UTF-8 text") from None
    depth = _json_depth(text)
    if depth > max_depth:
        raise Problem(400, "Body nested too deeply",
                      f"The body nests {depth} levels of objects or arrays; at most {max_depth} are read.",
                      slug="body-too-deep", errors={"body": [f"nested more than {max_depth} levels deep"]})
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_refuse_constant)
    except ValueError as exc:  # JSONDecodeError, and integers of more than 4,300 digits
        raise _malformed(str(exc).split(": line")[0]) from None
    _check_text(value, "")
    return value


def _operation_takes_body() -> bool | None:
    """Whether the view of this request declares a body (flask-smorest `arguments`); None if unknown."""
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, request.method.lower(), None) if view_class is not None else view
    apidoc = getattr(method, "_apidoc", None)
    if apidoc is None:
        return None
    parameters = apidoc.get("arguments", {}).get("parameters", [])
    return any(isinstance(p, dict) and p.get("in") in BODY_LOCATIONS for p in parameters)


def _refuse_unstorable_request_text() -> None:
    if "\x00" in request.path:
        raise _invalid_character("path", "\x00")
    for key, value in request.args.items(multi=True):
        for text, where in ((key, "query"), (value, key)):
            found = _UNSTORABLE.search(text)
            if found:
                raise _invalid_character(where, found.group())
    for name, value in request.headers.items():
        if "\x00" in value or "\x00" in name:
            raise _invalid_character(name if "\x00" not in name else "headers", "\x00", status=400)


def no_store(fn):
    """For a view whose answer carries a token or a secret: no cache, shared or private, may keep it."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        g.no_store = True
        return fn(*args, **kwargs)
    return wrapper


def guard_request(api_prefix: str = "/") -> None:
    """Every request, before any view: storable text, a body within the limit, JSON we can read.

    The body is refused with 413 before it is read when its announced length is over the limit
    (Werkzeug enforces the same limit on a body sent without a length).
    """
    _refuse_unstorable_request_text()
    if request.method in SAFE_BODY_METHODS or not request.path.startswith(api_prefix):
        return
    limit = settings().max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise Problem(413, "Body too large", f"The body has {request.content_length} bytes; at most {limit} "
                      "are accepted.", slug="body-too-large", errors={"body": [f"larger than {limit} bytes"]})
    if request.url_rule is None:
        return  # routing answers 404 or 405 first
    data = request.get_data(cache=True)
    if not data.strip():
        return
    if not request.is_json:
        raise Problem(415, "Unsupported media type", "Send the body as JSON with Content-Type application/json.",
                      slug="unsupported-media-type",
                      errors={"Content-Type": [f"{request.mimetype or 'missing'}: expected application/json"]})
    body = parse_json_body(data)
    if body != {} and _operation_takes_body() is False:
        errors = ({str(key): ["Unknown field."] for key in body} if isinstance(body, dict) and body
                  else {"body": ["This operation takes no body."]})
        raise Problem(422, "Invalid input", "This operation takes no body: send none, or {}.",
                      slug="invalid-input", errors=errors)


def _options_of_the_path() -> Response:
    """OPTIONS lists the methods of the rule the path matched, e.g. POST for /groups/proposals, and
    not also GET because /groups/<group_id> would take the same path for a GET (Werkzeug's union)."""
    response = current_app.response_class()
    rule = request.url_rule
    response.allow.update(rule.methods if rule is not None and rule.methods else ())
    return response


def install_request_context(app: Flask, component: str) -> None:
    """Request ids and logs. Input checks come later (`install_input_checks`): after who is calling."""
    app.make_default_options_response = _options_of_the_path

    @app.before_request
    def _start():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        g.request_id = rid
        g.request_token = request_id_var.set(rid)
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        if g.get("no_store"):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        if request.path not in ("/healthz",):
            log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "component": component, "method": request.method, "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
            })
        return response

    @app.teardown_request
    def _reset(_exc):
        token = g.pop("request_token", None)
        if token is not None:
            request_id_var.reset(token)


def install_input_checks(app: Flask, skip_endpoints: tuple[str, ...] = (), api_prefix: str = "/") -> None:
    """Checks of the input every view shares (`guard_request`); registered after the hooks that say who
    may call, so that a 401 or 403 never depends on the body."""
    @app.before_request
    def _guard_input():
        if request.endpoint not in skip_endpoints:
            guard_request(api_prefix)


def identity_public_key(cfg_settings: Settings):
    """The key a service checks identities with: given in the settings, else read as the process starts."""
    if cfg_settings.identity_public_key is not None:
        return cfg_settings.identity_public_key
    try:
        return keys.identity_public_key()
    except keys.MissingKey as exc:
        log.error("%s cannot start: %s", cfg_settings.component, exc)
        raise


def readiness(checks: dict, db: Database) -> dict:
    """The body of a ready /readyz: "degraded" while a dependency is away or events are set aside."""
    try:
        checks["outbox"] = outbox_health(db)
    except Exception:  # noqa: BLE001 - the database just answered; a failing count must not make it unready
        checks["outbox"] = "unknown"
    set_aside = isinstance(checks["outbox"], dict) and checks["outbox"]["set_aside"] > 0
    away = any(value != "ok" for name, value in checks.items() if name != "outbox")
    return {"status": "degraded" if away or set_aside else "ok", "checks": checks}


def install_health(app: Flask, db_getter, amqp_url_getter) -> None:
    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        checks = {}
        try:
            db_getter().ping()
            checks["database"] = "ok"
        except Exception:  # noqa: BLE001
            checks["database"] = "down"
        checks["broker"] = "ok" if broker_reachable(amqp_url_getter()) else "down"
        # HTTP keeps working while the broker is away (events wait in the outbox): only the
        # database makes this process unready.
        if checks["database"] != "ok":
            body = problem_body(503, "Not ready", "The database cannot be reached.", slug="not-ready")
            body["checks"] = checks
            return problem_response(body)
        return readiness(checks, db_getter())


def create_service_app(component: str, blueprints: list, config: dict | None = None,
                       title: str | None = None, description: str = "") -> Flask:
    """Wire one service: settings, database, OpenAPI, problems, identity, health."""
    config = dict(config or {})
    cfg_settings: Settings = config.pop("SETTINGS", None) or Settings.from_env(component)
    configure_logging(component, cfg_settings.log_level)
    public_key = identity_public_key(cfg_settings)
    app = Flask(f"services.{component}")
    app.config.update(
        API_TITLE=title or f"Veilleuse {component}",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": description}},
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=cfg_settings.max_body_bytes,
    )
    app.config.update(config)
    app.config[PUBLIC_KEY_CONFIG] = public_key
    db = config.get("DATABASE") or Database(cfg_settings.database_url)
    app.extensions["veilleuse.db"] = db
    app.extensions["veilleuse.settings"] = cfg_settings
    api = VeilleuseApi(app)
    api.spec.components.security_scheme(
        "identity", {"type": "apiKey", "in": "header", "name": "X-Veilleuse-Identity"})
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    install_request_context(app, component)
    install_problem_handlers(app)
    install_health(app, lambda: db, lambda: cfg_settings.amqp_url)

    # Who is calling, then whether they may, then what they send: a 401 or 403 never depends on the body.
    @app.before_request
    def _mutations_need_identity():
        if request.method in SAFE_METHODS or request.path in OPEN_PATHS or request.routing_exception:
            return None  # an unknown path or method is a 404 or 405 for anyone
        if load_identity() is None:
            raise Problem(401, "Unauthorized", "Sign in first: changes need an account.", slug="unauthorized")
        return None

    app.before_request(run_access_check)
    install_input_checks(app)
    app.extensions["veilleuse.api"] = api
    return app
