"""Social grocery and shop of local products."""
from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    from services.grocery.api import blueprints
    from services.grocery.internal import internal
    from shared.web import create_service_app

    app = create_service_app("grocery", blueprints, config, title="Veilleuse grocery",
                             description="Social grocery and shop of local products.")
    app.register_blueprint(internal)  # the notifier's reads; not in the OpenAPI
    return app
