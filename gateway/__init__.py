"""Gateway: the one door of the platform for people and programs (API, identity, web pages)."""
from __future__ import annotations

import dataclasses
import logging

from flask import Flask, Response, jsonify, send_from_directory
from flask_smorest import Api
from redis.exceptions import RedisError

from shared import keys
from shared.bus.amqp import broker_reachable
from shared.config import SERVICES, Settings
from shared.db import Database
from shared.identity import run_access_check
from shared.logs import configure_logging
from shared.problems import install_problem_handlers, problem_body, problem_response
from shared.web import ProblemSchema, install_input_checks, install_request_context, readiness

log = logging.getLogger("veilleuse.gateway")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class GatewayApi(Api):
    ERROR_SCHEMA = ProblemSchema


def with_keys(cfg: Settings) -> Settings:
    """The settings with the gateway's keys and limit storage; a clear refusal to start when one is missing."""
    try:
        resolved = dataclasses.replace(
            cfg,
            identity_private_key=cfg.identity_private_key or keys.identity_private_key(),
            token_key=cfg.token_key or keys.token_signing_key(),
            web_secret_key=cfg.web_secret_key or keys.web_secret_key(),
            ratelimit_storage_uri=cfg.ratelimit_storage_uri or default_limit_storage())
    except keys.MissingKey as exc:
        log.error("the gateway cannot start: %s", exc)
        raise
    if resolved.ratelimit_storage_uri.startswith("memory://") and not keys.development_mode():
        log.warning("RATELIMIT_STORAGE_URI is memory://: each process counts sign-in attempts on its own, "
                    "so the limits do not hold across workers and replicas")
    return resolved


def default_limit_storage() -> str:
    if not keys.development_mode():
        raise keys.MissingKey(
            "RATELIMIT_STORAGE_URI is not set: sign-in limits must be counted where every worker and replica "
            "sees them, for example redis://127.0.0.1:6379/0. Set it, or ask for development mode with "
            f"{keys.ENVIRONMENT}={keys.DEVELOPMENT} (attempts are then counted in memory, per process).")
    log.warning("development mode (%s=%s): sign-in attempts are counted in memory, per process; set "
                "RATELIMIT_STORAGE_URI to count them across workers", keys.ENVIRONMENT, keys.DEVELOPMENT)
    return "memory://"


def create_app(config: dict | None = None) -> Flask:
    from gateway import health, proxy
    from gateway.api import identity_blp, sites_blp
    from gateway.limits import limiter
    from gateway.openapi import merged_spec

    config = dict(config or {})
    cfg: Settings = config.pop("SETTINGS", None) or Settings.from_env("gateway")
    configure_logging("gateway", cfg.log_level)
    cfg = with_keys(cfg)
    app = Flask("gateway")
    app.config.update(API_TITLE="Veilleuse gateway", API_VERSION="1.0.0", OPENAPI_VERSION="3.0.3",
                      OPENAPI_URL_PREFIX=None, MAX_CONTENT_LENGTH=cfg.max_body_bytes, SECRET_KEY=cfg.web_secret_key,
                      RATELIMIT_HEADERS_ENABLED=True, RATELIMIT_STORAGE_URI=cfg.ratelimit_storage_uri,
                      RATELIMIT_KEY_PREFIX=cfg.ratelimit_key_prefix)
    app.config.update(config)
    db = config.get("DATABASE") or Database(cfg.database_url)
    app.extensions["veilleuse.db"] = db
    app.extensions["veilleuse.settings"] = cfg
    api = GatewayApi(app)
    api.register_blueprint(identity_blp)
    api.register_blueprint(sites_blp)
    from gateway.notifications.api import notifications_blp
    api.register_blueprint(notifications_blp)
    limiter.init_app(app)
    install_request_context(app, "gateway")
    install_problem_handlers(app)
    # Who may call a view of the gateway's own API before what it sends is read; the services check the
    # requests forwarded to them in the same order.
    app.before_request(run_access_check)
    install_input_checks(app, skip_endpoints=("forward",), api_prefix="/api/")

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    # Only the services' names: /api/accounts and the like stay the gateway's own (405, not a proxy 404).
    # OPTIONS goes to the service too, which alone knows the methods of its paths.
    services = f"any({', '.join(SERVICES)})"

    @app.route(f"/api/<{services}:service_name>/", defaults={"path": ""}, methods=PROXY_METHODS,
               provide_automatic_options=False)
    @app.route(f"/api/<{services}:service_name>/<path:path>", methods=PROXY_METHODS,
               provide_automatic_options=False)
    def forward(service_name, path):
        return proxy.forward(service_name, path)

    @app.get("/api/openapi.json")
    def openapi():
        return jsonify(merged_spec(api.spec.to_dict()))

    @app.get("/api/docs")
    def docs():
        return Response(health.DOCS_PAGE, mimetype="text/html")

    @app.get("/api/docs/<path:filename>")
    def docs_assets(filename):
        import swagger_ui_bundle

        if filename == "init.js":
            return Response(health.DOCS_INIT, mimetype="application/javascript")
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    @app.get("/healthz")
    def healthz():
        report = health.aggregate(db, cfg.amqp_url)
        if report["health"] != "ok":
            return problem_response({**problem_body(503, "Degraded", "Some parts of the platform are down.",
                                                    slug="degraded"), **report})
        return {"status": "ok", **report}

    def _limits_reachable() -> bool:
        try:
            return bool(limiter.storage.check())
        except Exception:  # noqa: BLE001
            return False

    @app.get("/readyz")
    def readyz():
        try:
            db.ping()
        except Exception:  # noqa: BLE001
            return problem_response(problem_body(503, "Not ready", "The database cannot be reached.",
                                                 slug="not-ready"))
        checks = {"database": "ok", "broker": "ok" if broker_reachable(cfg.amqp_url) else "down",
                  "sign_in_limits": "ok" if _limits_reachable() else "down"}
        return readiness(checks, db)

    @app.errorhandler(RedisError)
    def _limits_unreachable(exc):
        # Sign-in is never let through uncounted: without its counter it waits.
        log.error("the sign-in limits' storage cannot be reached: %s", type(exc).__name__)
        return problem_response(problem_body(
            503, "Service unavailable", "Signing in is unavailable for a moment; try again shortly.",
            slug="sign-in-unavailable"), {"Retry-After": "5"})

    from gateway.web import init_web
    init_web(app)
    from gateway.notifications.pages import notification_pages
    app.register_blueprint(notification_pages)
    app.extensions["veilleuse.api"] = api
    return app
