"""Social grocery and shop of local products."""
from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    from services.grocery.api import blueprints
    from shared.web import create_service_app

    return create_service_app("grocery", blueprints, config, title="Veilleuse grocery",
                              description="Social grocery and shop of local products.")
