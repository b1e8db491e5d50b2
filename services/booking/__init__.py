"""Booking service: rooms of each site, and their reservations."""
from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    from services.booking.api import availability, calendars, closures, quotes, reservations, rooms, series
    from services.booking.internal import internal
    from shared.web import create_service_app

    blueprints = [rooms, reservations, series, quotes, closures, availability, calendars]
    app = create_service_app("booking", blueprints, config, title="Veilleuse booking",
                             description="Rooms of each site and their reservations.")
    app.register_blueprint(internal)  # the notifier's reads; not in the OpenAPI
    return app
