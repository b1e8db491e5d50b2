"""The web pages served by the gateway: wiring of sessions, languages, CSRF and the page blueprints."""
from __future__ import annotations

import os

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from gateway.web import housing_words, i18n

csrf = CSRFProtect()
# Blueprints of pages: their POST forms must carry a CSRF token.
PAGE_BLUEPRINTS = {"pages", "admin", "relay", "grocery", "booking", "housing", "amap_staff", "grocery_staff"}


class NoStoreSessionInterface(SecureCookieSessionInterface):
    """The session cookie holds the access token: an answer that sets it must never be kept by a cache."""

    def save_session(self, app, session, response) -> None:
        super().save_session(app, session, response)
        cookie = self.get_cookie_name(app) + "="
        if any(value.startswith(cookie) for value in response.headers.getlist("Set-Cookie")):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"


def init_web(app: Flask) -> None:
    from gateway.web import amap_days, grocery_households, grocery_stock  # noqa: F401 - their routes, on the blueprints below
    from gateway.web.admin import admin_pages
    from gateway.web.amap_staff import amap_staff
    from gateway.web.booking import booking_pages
    from gateway.web.grocery import grocery_pages
    from gateway.web.grocery_staff import grocery_staff
    from gateway.web.housing import housing_pages
    from gateway.web.pages import pages
    from gateway.web.relay import relay_pages

    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("the web pages need SECRET_KEY (WEB_SECRET_KEY): the gateway's factory sets it")
    app.session_interface = NoStoreSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="veilleuse_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        # Behind HTTPS (any real deployment) the cookie must never travel in clear.
        SESSION_COOKIE_SECURE=os.environ.get("WEB_SECURE_COOKIES", "false").lower() in ("1", "true", "yes"),
        # The JSON API under /api/ is for programs with Bearer tokens: only the pages check CSRF tokens.
        WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="fr", BABEL_DEFAULT_TIMEZONE="Europe/Paris",
    )
    Babel(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    i18n.install_template_helpers(app)
    for blueprint in (pages, admin_pages, relay_pages, grocery_pages, booking_pages, housing_pages, amap_staff,
                      grocery_staff):
        app.register_blueprint(blueprint)
    housing_words.install(app)
