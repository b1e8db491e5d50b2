"""Housing and roommate matching for newcomers."""
from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    from services.housing.api import blueprints
    from shared.web import create_service_app

    return create_service_app("housing", blueprints, config, title="Veilleuse housing",
                              description="Housing and roommate matching for newcomers.")
