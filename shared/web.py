"""The Flask app every service is built on: OpenAPI, problems, request ids, identity, health."""
from __future__ import annotations

import logging
import time
import uuid
from functools import wraps

from flask import Flask, current_app, g, request
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields

from shared import keys
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


def database() -> Database:
    return current_app.extensions["veilleuse.db"]


def settings() -> Settings:
    return current_app.extensions["veilleuse.settings"]


NUL_ESCAPES = (b"\\u0000", b"\x00")


def refuse_nul_characters() -> None:
    """No text anywhere may hold a NUL character: PostgreSQL cannot store one, so say it plainly."""
    where = None
    if "\x00" in request.path:
        where = "path"
    else:
        for key, value in request.args.items(multi=True):
            if "\x00" in key or "\x00" in value:
                where = key if "\x00" not in key else "query"
                break
    if where is None and request.content_length and request.mimetype == "application/json":
        body = request.get_data(cache=True)
        if any(escape in body.lower() for escape in NUL_ESCAPES):
            where = "body"
    if where is not None:
        raise Problem(400, "Invalid character", "Text must not contain NUL (\\u0000) characters.",
                      slug="invalid-character", errors={where: ["contains a NUL character"]})


def no_store(fn):
    """For a view whose answer carries a token or a secret: no cache, shared or private, may keep it."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        g.no_store = True
        return fn(*args, **kwargs)
    return wrapper


def install_request_context(app: Flask, component: str) -> None:
    """Request ids and logs. Input checks come later (`install_input_checks`): after who is calling."""
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


def install_input_checks(app: Flask, skip_endpoints: tuple[str, ...] = ()) -> None:
    """Checks of the input every view shares; registered after the hooks that say who may call."""
    @app.before_request
    def _refuse_nul_characters():
        if request.endpoint not in skip_endpoints:
            refuse_nul_characters()


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
        MAX_CONTENT_LENGTH=1024 * 1024,
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
        if request.method in SAFE_METHODS or request.path in OPEN_PATHS:
            return None
        if load_identity() is None:
            raise Problem(401, "Unauthorized", "Sign in first: changes need an account.", slug="unauthorized")
        return None

    app.before_request(run_access_check)
    install_input_checks(app)
    app.extensions["veilleuse.api"] = api
    return app
