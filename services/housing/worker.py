"""`python -m services.housing.worker`: the housing outbox relay, consumers and housekeeping.

Housekeeping runs every HOUSING_HOUSEKEEPING_SECONDS (default 300): requests past 60 days expire,
expired requests past their retention are deleted, and roommate groups are proposed.
"""
from __future__ import annotations

import logging
import os
import signal
import threading

from services.housing import service
from services.housing.handlers import HANDLERS
from shared.config import Settings
from shared.db import Database
from shared.logs import configure_logging
from shared.worker import build_loops

QUEUES = {"housing.identity": HANDLERS}
log = logging.getLogger("veilleuse.housing.housekeeping")


class Housekeeping:
    """A loop on its own thread; each round is one transaction per task."""

    name = "housing housekeeping"

    def __init__(self, db: Database, interval: float):
        self.db, self.interval = db, interval
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run_once(self) -> dict:
        done = {}
        for task in (service.expire_requests, service.purge_expired_requests, service.propose_groups):
            with self.db.transaction() as session:
                done[task.__name__] = task(session)
        return done

    def run_forever(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                log.info("housekeeping done", extra={"done": str(self.run_once())})
            except Exception:  # noqa: BLE001 - try again next round
                log.exception("housekeeping failed; trying again next round")


def main() -> None:
    settings = Settings.from_env("housing")
    configure_logging("housing", settings.log_level)
    db = Database(settings.database_url)
    loops = build_loops(settings, db, QUEUES)
    loops.append(Housekeeping(db, float(os.environ.get("HOUSING_HOUSEKEEPING_SECONDS", "300"))))
    threads = [threading.Thread(target=loop.run_forever, name=loop.name, daemon=True) for loop in loops]

    def _stop(_signum, _frame):
        for loop in loops:
            loop.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for thread in threads:
        thread.start()
    log.info("housing worker started: relay, %d consumer(s), housekeeping", len(QUEUES))
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)
    db.dispose()


if __name__ == "__main__":
    main()
