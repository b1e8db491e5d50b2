"""The Flask app every service is built on: OpenAPI, problems, request ids, identity, health."""
from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, current_app, g, request
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields

from shared.bus.amqp import broker_reachable
from shared.bus.outbox import outbox_health
from shared.config import Settings
from shared.db import Database
from shared.identity import load_identity
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


def install_request_context(app: Flask, component: str) -> None:
    @app.before_request
    def _start():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        g.request_id = rid
        g.request_token = request_id_var.set(rid)
        g.started = time.perf_counter()
        refuse_nul_characters()

    @app.after_request
    def _finish(response):
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
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


def readiness(checks: dict, db: Database) -> dict:
    """The body of a ready /readyz: "degraded" while the broker is away or events are set aside."""
    try:
        checks["outbox"] = outbox_health(db)
    except Exception:  # noqa: BLE001 - the database just answered; a failing count must not make it unready
        checks["outbox"] = "unknown"
    set_aside = isinstance(checks["outbox"], dict) and checks["outbox"]["set_aside"] > 0
    return {"status": "ok" if checks["broker"] == "ok" and not set_aside else "degraded", "checks": checks}


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
    app = Flask(f"services.{component}")
    app.config.update(
        API_TITLE=title or f"Veilleuse {component}",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": description}},
        IDENTITY_SIGNING_KEY=cfg_settings.identity_key,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.config.update(config)
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

    @app.before_request
    def _mutations_need_identity():
        if request.method in SAFE_METHODS or request.path in OPEN_PATHS:
            return None
        if load_identity() is None:
            raise Problem(401, "Unauthorized", "Sign in first: changes need an account.", slug="unauthorized")
        return None

    app.extensions["veilleuse.api"] = api
    return app
