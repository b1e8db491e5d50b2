"""`python -m services.relay.worker`: the relay outbox relay, consumers, and the distribution clock."""
from __future__ import annotations

import logging
import signal
import threading

from services.relay import service
from services.relay.events import ACCOUNT_ERASED
from services.relay.handlers import HANDLERS
from shared.config import Settings
from shared.db import Database
from shared.logs import configure_logging
from shared.sites import SITE_EVENTS
from shared.worker import build_loops

log = logging.getLogger("veilleuse.relay.clock")

QUEUES = {
    "relay.sites": {name: HANDLERS[name] for name in SITE_EVENTS},
    "relay.identity": {ACCOUNT_ERASED: HANDLERS[ACCOUNT_ERASED]},
}
TICK_SECONDS = 30.0


def tick(db: Database, now=None) -> dict:
    """Close the distributions whose window has ended; publish those short of volunteers."""
    with db.transaction() as session:
        ended = service.ended_distributions(session, now)
    closed = []
    for distribution_id in ended:
        # One transaction each: a distribution that fails to close does not hold back the others.
        try:
            with db.transaction() as session:
                service.close_distribution(session, distribution_id, now, only_if_open=True)
            closed.append(distribution_id)
        except Exception:  # noqa: BLE001
            log.exception("distribution %s could not be closed", distribution_id)
    with db.transaction() as session:
        unstaffed = service.publish_unstaffed(session, now)
    return {"closed": closed, "unstaffed": unstaffed}


class DistributionClock:
    """A thread that calls `tick` every few seconds; another worker process doing the same is harmless,
    since closing locks the distribution and only closes a scheduled one."""

    name = "distribution clock"

    def __init__(self, db: Database, interval: float = TICK_SECONDS):
        self.db, self.interval = db, interval
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run_forever(self) -> None:
        while not self.stopping.is_set():
            try:
                done = tick(self.db)
                if done["closed"] or done["unstaffed"]:
                    log.info("closed %d distribution(s), %d unstaffed", len(done["closed"]), len(done["unstaffed"]))
            except Exception:  # noqa: BLE001 - database trouble: try again at the next tick
                log.exception("the distribution clock failed; retrying")
            self.stopping.wait(self.interval)


def run(settings: Settings | None = None) -> None:
    settings = settings or Settings.from_env("relay")
    configure_logging("relay", settings.log_level)
    db = Database(settings.database_url)
    loops = [*build_loops(settings, db, QUEUES), DistributionClock(db)]
    threads = [threading.Thread(target=loop.run_forever, name=loop.name, daemon=True) for loop in loops]

    def _stop(_signum, _frame):
        log.info("relay worker stopping")
        for loop in loops:
            loop.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for thread in threads:
        thread.start()
    log.info("relay worker started: relay, %d consumer(s) and the distribution clock", len(QUEUES))
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)
    db.dispose()


if __name__ == "__main__":
    run()
