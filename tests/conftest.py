"""Fixtures shared by the unit, integration and end-to-end tests."""
from __future__ import annotations

import itertools
import os

import pytest

from shared.config import Settings
from shared.db import Database
from shared.identity import Identity, sign_identity
from shared.keys import identity_private_key
from shared.migrations import upgrade
from tests.support.environment import configure_test_environment
from tests.support.servers import ServersUnavailable, start_servers

_counter = itertools.count()
configure_test_environment()  # keys of this run, before any app or platform starts
# Tests sign in far more often than people do; the limit itself is tested with its own low values.
os.environ.setdefault("LOGIN_RATE_LIMIT_ADDRESS", "10000 per minute")
os.environ.setdefault("LOGIN_RATE_LIMIT_ACCOUNT", "10000 per minute")


@pytest.fixture(scope="session")
def servers():
    try:
        found = start_servers()
    except ServersUnavailable as exc:
        # Never skipped: a run without its servers is a failed run.
        pytest.exit(f"the integration servers are unavailable: {exc}", returncode=3)
    yield found
    found.close()


@pytest.fixture(scope="session")
def amqp_url(servers) -> str:
    return servers.create_vhost("bus")


@pytest.fixture(scope="session")
def pg_template(servers):
    templates: dict[str, str] = {}

    def template(component: str) -> str:
        if component not in templates:
            name = servers.create_database(f"{component}_tpl")
            upgrade(component, servers.pg_url(name))
            templates[component] = name
        return templates[component]

    return template


@pytest.fixture
def pg_database(servers, pg_template):
    """A fresh, migrated PostgreSQL database of a component: `pg_database("booking")`."""
    opened: list[Database] = []

    def make(component: str) -> Database:
        name = servers.create_database(f"{component}_{next(_counter)}", template=pg_template(component))
        db = Database(servers.pg_url(name))
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.dispose()


@pytest.fixture
def sqlite_database(tmp_path):
    """A fresh, migrated SQLite database of a component, for fast tests."""
    opened: list[Database] = []

    def make(component: str) -> Database:
        url = f"sqlite:///{tmp_path / f'{component}_{next(_counter)}.db'}"
        upgrade(component, url)
        db = Database(url)
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.dispose()


def settings_for(component: str, db: Database, amqp_url: str = "amqp://guest:guest@127.0.0.1:1/%2F") -> Settings:
    return Settings.from_env(component, database_url=db.url, amqp_url=amqp_url)


def app_for(create_app, component: str, db: Database, amqp_url: str | None = None):
    settings = settings_for(component, db, amqp_url) if amqp_url else settings_for(component, db)
    app = create_app({"SETTINGS": settings, "DATABASE": db, "TESTING": True})
    return app


def identity_header(subject: str = "account-1", roles=("neighbour",), organisation_kind: str | None = None,
                    organisation_id: str | None = None, kind: str = "account") -> dict:
    identity = Identity(subject=subject, kind=kind, roles=tuple(roles), organisation_kind=organisation_kind,
                        organisation_id=organisation_id)
    # Tests build these at import time and a suite runs for minutes: a day, not the gateway's minute.
    return {"X-Veilleuse-Identity": sign_identity(identity, identity_private_key(), ttl_seconds=24 * 3600)}
