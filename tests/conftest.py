"""Fixtures shared by the unit, integration and end-to-end tests."""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shared.bus.contracts import VIOLATIONS
from shared.config import Settings
from shared.db import Database
from shared.identity import Identity, sign_identity
from shared.keys import identity_private_key
from shared.migrations import upgrade
from tests.support.environment import configure_test_environment
from tests.support.servers import ServersUnavailable, start_servers

_counter = itertools.count()
configure_test_environment()  # keys of this run, before any app or platform starts
PARIS = ZoneInfo("Europe/Paris")
# Where a test that takes the clock starts: a Tuesday morning in Paris, far from a change of time.
CLOCK_START = datetime(2026, 11, 10, 10, 0, tzinfo=PARIS)
# Tests sign in far more often than people do; the limit itself is tested with its own low values.
os.environ.setdefault("LOGIN_RATE_LIMIT_ADDRESS", "10000 per minute")
os.environ.setdefault("LOGIN_RATE_LIMIT_ACCOUNT", "10000 per minute")
os.environ.setdefault("PASSWORD_RESET_RATE_LIMIT_ADDRESS", "10000 per minute")
os.environ.setdefault("PASSWORD_RESET_RATE_LIMIT_ACCOUNT", "10000 per minute")


def _instant(moment: datetime) -> float:
    """A POSIX time for time-machine: given an aware datetime, it would also change the process's TZ."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"give the clock an instant with its offset, not {moment.isoformat()}")
    return moment.timestamp()


class Clock:
    """The time of one test: time-machine travelling to an instant the test chooses, ticking unless told not to.

    `now()` and `today()` read it like the code under test does; `move_to()` and `shift()` move it. time.monotonic
    is left alone, so timeouts keep their real length.
    """

    def __init__(self, moment: datetime, tick: bool = True):
        self._travel = time_machine.travel(_instant(moment), tick=tick)
        self._traveller = self._travel.start()

    def move_to(self, moment: datetime, tick: bool | None = None) -> None:
        self._traveller.move_to(_instant(moment), tick=tick)

    def shift(self, delta: timedelta) -> None:
        self._traveller.shift(delta)

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    @staticmethod
    def today() -> date:
        """Today at the sites, which are in Europe/Paris."""
        return datetime.now(PARIS).date()

    def stop(self) -> None:
        self._travel.stop()


@pytest.fixture
def clock():
    """The test's clock, at CLOCK_START (ticking) until the test moves it."""
    chosen = Clock(CLOCK_START)
    yield chosen
    chosen.stop()


def pytest_addoption(parser):
    parser.addoption("--clock-at", metavar="INSTANT", default=None,
                     help="run the whole session with the clock moved to this RFC 3339 instant, ticking "
                          "(make test-dates); a skipped test then fails the run")


_session_clock: list[Clock] = []


def pytest_report_header(config):
    if config.getoption("--clock-at", default=None):
        return f"clock moved for the whole session to {config.getoption('--clock-at')}"
    return None


def pytest_sessionstart(session):
    moment = session.config.getoption("--clock-at", default=None)
    if moment:
        _session_clock.append(Clock(datetime.fromisoformat(moment)))


def pytest_sessionfinish(session, exitstatus):
    if not _session_clock:
        return
    _session_clock.pop().stop()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        # No test may skip because of the time it is: under --clock-at any skip fails the run.
        for report in skipped:
            reporter.write_line(f"SKIPPED under --clock-at: {report.nodeid}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def events_keep_their_contracts():
    """Every event recorded during a test keeps its contract: a violation fails the test even where the code
    under test caught the error (a worker loop that logs and goes on)."""
    VIOLATIONS.clear()
    yield
    if VIOLATIONS:
        broken = list(VIOLATIONS)
        VIOLATIONS.clear()
        pytest.fail("events broke their contract (shared.bus.contracts):\n" + "\n".join(broken), pytrace=False)


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


class IdentityHeader(Mapping):
    """The signed identity header of a person, signed each time a request reads it.

    Tests build these at import time, and a test's clock may then move: signed early, the header would be
    issued in the test's future or expired in its present.
    """

    NAME = "X-Veilleuse-Identity"

    def __init__(self, identity: Identity):
        self.identity = identity

    def __getitem__(self, name: str) -> str:
        if name != self.NAME:
            raise KeyError(name)
        # A suite runs for minutes: a day, not the gateway's minute.
        return sign_identity(self.identity, identity_private_key(), ttl_seconds=24 * 3600)

    def __iter__(self) -> Iterator[str]:
        return iter((self.NAME,))

    def __len__(self) -> int:
        return 1


def identity_header(subject: str = "account-1", roles=("neighbour",), organisation_kind: str | None = None,
                    organisation_id: str | None = None, kind: str = "account") -> IdentityHeader:
    return IdentityHeader(Identity(subject=subject, kind=kind, roles=tuple(roles),
                                   organisation_kind=organisation_kind, organisation_id=organisation_id))
