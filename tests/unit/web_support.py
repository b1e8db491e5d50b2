"""Helpers for the unit tests of the web pages: the gateway on SQLite, booking in-process, a form-filling client."""
from __future__ import annotations

import contextvars
import re
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from werkzeug.test import Client

from shared.config import SERVICES, service_url
from shared.db import Database
from shared.migrations import upgrade
from tests.conftest import CLOCK_START, Clock, app_for

DEMO_PASSWORD = "veilleuse-demo"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class WsgiAdapter(requests.adapters.BaseAdapter):
    """Lets the gateway's proxy reach a service's Flask app without a socket."""

    def __init__(self, app):
        super().__init__()
        self.client = Client(app)

    def send(self, request, **_kwargs):
        url = urlsplit(request.url)
        answer = contextvars.Context().run(lambda: self.client.open(
            url.path, method=request.method, query_string=url.query, data=request.body,
            headers=dict(request.headers)))
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.get_data()
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass


class DownAdapter(requests.adapters.BaseAdapter):
    def send(self, request, **_kwargs):
        raise requests.ConnectionError("down")

    def close(self):
        pass


_TEMPLATES: dict[str, str] = {}


def deliver_outbox_by_hand(dbs: dict) -> None:
    """No broker in unit tests: apply the gateway's site events with each service's site consumer."""
    from sqlalchemy import select

    from infra.demo_data import site_queues
    from shared.bus.consumer import Consumer
    from shared.bus.tables import outbox

    with dbs["gateway"].sessions() as session:
        bodies = session.scalars(select(outbox.c.body).where(outbox.c.type.like("platform.site.%"))
                                 .order_by(outbox.c.created_at)).all()
    for component in SERVICES:
        for queue, handlers in site_queues(component).items():
            consumer = Consumer(dbs[component], "amqp://unused", "veilleuse.events", "veilleuse.dlx", queue, handlers)
            for body in bodies:
                assert consumer.apply(body.encode()).action == "applied"


def _seeded_files() -> dict[str, str]:
    """The SQLite files with the demo data, made once (hashing passwords is slow).

    Made an hour before CLOCK_START, where every test's clock starts, whichever test comes first: the same day,
    and before the tests sign in (a token older than its account's password is refused).
    """
    if not _TEMPLATES:
        from infra.demo_data import seed_booking, seed_gateway
        from services.grocery.demo import seed_grocery
        from services.housing.demo import seed_housing
        from services.relay.demo import seed_relay

        folder = Path(tempfile.mkdtemp(prefix="web-unit-"))
        for component in ("gateway", *SERVICES):
            _TEMPLATES[component] = str(folder / f"{component}.db")
            upgrade(component, f"sqlite:///{_TEMPLATES[component]}")
        dbs = {c: Database(f"sqlite:///{path}") for c, path in _TEMPLATES.items()}
        seeding = Clock(CLOCK_START - timedelta(hours=1))
        try:
            seed_gateway(dbs["gateway"], DEMO_PASSWORD)
            deliver_outbox_by_hand(dbs)
            seed_booking(dbs["booking"])
            seed_relay(dbs["relay"])
            seed_grocery(dbs["grocery"])
            seed_housing(dbs["housing"])
        finally:
            seeding.stop()
        for db in dbs.values():
            db.dispose()
    return _TEMPLATES


def build_platform(tmp_path, monkeypatch, clock: Clock, booking_up: bool = True, down: tuple = ()):
    """The gateway with the demo data, forwarding /api/<service> to in-process services (`down` ones fail).

    `clock` is the test's: the demo data are dated from CLOCK_START, where it starts.
    """
    import importlib

    from gateway import create_app as create_gateway
    from gateway import proxy

    databases = {}
    for component, template in _seeded_files().items():
        copy = tmp_path / f"{component}.db"
        shutil.copyfile(template, copy)
        databases[component] = Database(f"sqlite:///{copy}")
    session = requests.Session()
    down = set(down) | (set() if booking_up else {"booking"})
    for component in SERVICES:
        create = importlib.import_module(f"services.{component}").create_app
        app = app_for(create, component, databases[component])
        session.mount(service_url(component).rstrip("/") + "/",
                      DownAdapter() if component in down else WsgiAdapter(app))
    monkeypatch.setattr(proxy, "http_session", lambda: session)
    gateway = app_for(create_gateway, "gateway", databases["gateway"])
    gateway.config["RATELIMIT_ENABLED"] = False
    return gateway


class Visitor:
    """A person with a browser: follows pages, fills forms with the CSRF token of the page."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.last = None

    def get(self, path: str, **kwargs):
        self.last = self.client.get(path, **kwargs)
        return self.last

    def submit(self, page: str, data: dict, action: str | None = None):
        """Open `page`, then post `data` with its CSRF token to `action` (default: the page itself)."""
        shown = self.client.get(page)
        token = CSRF.search(shown.get_data(as_text=True)).group(1)
        self.last = self.client.post(action or page, data={"csrf_token": token, **data})
        return self.last

    def sign_in(self, email: str, password: str = DEMO_PASSWORD):
        response = self.submit("/signin", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def switch_language(self, lang: str, next_page: str = "/"):
        return self.submit(next_page, {"lang": lang, "next": next_page}, action="/language")


def text_of(response) -> str:
    """The visible text of a page, with spaces collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").strip()
