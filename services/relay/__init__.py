"""AMAP pickup relay: producers, contracts, distributions, baskets."""
from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    from services.relay.api import blueprints
    from shared.web import create_service_app

    return create_service_app("relay", blueprints, config, title="Veilleuse relay",
                              description="AMAP pickup relay: producers, contracts, distributions, baskets.")
