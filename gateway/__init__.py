"""Gateway: the one door of the platform for people and programs (API, identity, web pages)."""
from __future__ import annotations

from flask import Flask, Response, jsonify, send_from_directory
from flask_smorest import Api

from shared.bus.amqp import broker_reachable
from shared.config import Settings
from shared.db import Database
from shared.logs import configure_logging
from shared.problems import install_problem_handlers, problem_body, problem_response
from shared.web import ProblemSchema, install_request_context

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class GatewayApi(Api):
    ERROR_SCHEMA = ProblemSchema


def create_app(config: dict | None = None) -> Flask:
    from gateway import health, proxy
    from gateway.api import identity_blp, sites_blp
    from gateway.limits import limiter
    from gateway.openapi import merged_spec

    config = dict(config or {})
    cfg: Settings = config.pop("SETTINGS", None) or Settings.from_env("gateway")
    configure_logging("gateway", cfg.log_level)
    app = Flask("gateway")
    app.config.update(API_TITLE="Veilleuse gateway", API_VERSION="1.0.0", OPENAPI_VERSION="3.0.3",
                      OPENAPI_URL_PREFIX=None, MAX_CONTENT_LENGTH=1024 * 1024,
                      IDENTITY_SIGNING_KEY=cfg.identity_key, RATELIMIT_HEADERS_ENABLED=True)
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

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.route("/api/<service_name>/", defaults={"path": ""}, methods=PROXY_METHODS)
    @app.route("/api/<service_name>/<path:path>", methods=PROXY_METHODS)
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

    @app.get("/readyz")
    def readyz():
        try:
            db.ping()
        except Exception:  # noqa: BLE001
            return problem_response(problem_body(503, "Not ready", "The database cannot be reached.",
                                                 slug="not-ready"))
        broker = "ok" if broker_reachable(cfg.amqp_url) else "down"
        return {"status": "ok" if broker == "ok" else "degraded", "checks": {"database": "ok", "broker": broker}}

    from gateway.web import init_web
    init_web(app)
    from gateway.notifications.pages import notification_pages
    app.register_blueprint(notification_pages)
    app.extensions["veilleuse.api"] = api
    return app
