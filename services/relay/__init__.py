"""AMAP pickup relay: producers, contracts, distributions, baskets."""
from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    from services.relay.api import blueprints
    from services.relay.internal import internal
    from shared.web import create_service_app

    app = create_service_app("relay", blueprints, config, title="Veilleuse relay",
                             description="AMAP pickup relay: producers, contracts, distributions, baskets.")
    app.register_blueprint(internal)  # the notifier's reads; not in the OpenAPI
    return app
