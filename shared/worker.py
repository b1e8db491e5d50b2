"""Running a component's worker: the outbox relay and its consumers, each on its own connection, and
periodic tasks, among them the retention of the bus tables."""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime

from shared.bus import retention
from shared.bus.consumer import Consumer, HandlerFn
from shared.bus.relay import OutboxRelay
from shared.config import Settings
from shared.db import Database
from shared.events import utcnow
from shared.logs import configure_logging

log = logging.getLogger("veilleuse.worker")


def build_loops(settings: Settings, db: Database, queues: dict[str, dict[str, HandlerFn]]) -> list:
    loops: list = [OutboxRelay(db, settings.amqp_url, settings.exchange)]
    for queue, handlers in queues.items():
        loops.append(Consumer(db, settings.amqp_url, settings.exchange, settings.dead_letter_exchange,
                              queue, handlers, prefetch=settings.prefetch))
    return loops


class PeriodicTask:
    """Runs `task(db)` every `interval` seconds on its own thread, the first time after `first_delay`.

    A failing round (the database away, say) is logged and tried again at the next round."""

    def __init__(self, name: str, task: Callable[[Database], object], interval: float, first_delay: float = 0.0):
        self.name, self.task, self.interval, self.first_delay = name, task, interval, first_delay
        self.db: Database | None = None
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run_forever(self) -> None:
        delay = self.first_delay
        while not self.stopping.wait(delay):
            delay = self.interval
            try:
                done = self.task(self.db)
                if done:
                    log.info("%s: %s", self.name, done)
            except Exception:  # noqa: BLE001 - try again next round
                log.exception("%s failed; trying again in %.0fs", self.name, self.interval)


def bus_retention_task(settings: Settings, clock: Callable[[], datetime] = utcnow) -> PeriodicTask:
    """Deletes sent outbox rows and inbox rows older than BUS_RETENTION_DAYS, every hour."""
    return PeriodicTask("bus retention", retention.BusRetention(settings.bus_retention_days, clock),
                        retention.EVERY_SECONDS, first_delay=60.0)


def run_worker(component: str, queues: dict[str, dict[str, HandlerFn]],
               settings: Settings | None = None, periodic: list[PeriodicTask] = ()) -> None:
    """The outbox relay, one consumer per queue and the periodic tasks, until SIGTERM or SIGINT."""
    settings = settings or Settings.from_env(component)
    configure_logging(component, settings.log_level)
    db = Database(settings.database_url)
    periodic = [*periodic, bus_retention_task(settings)]
    for task in periodic:
        task.db = db
    loops = [*build_loops(settings, db, queues), *periodic]
    threads = [threading.Thread(target=loop.run_forever, name=loop.name, daemon=True) for loop in loops]

    def _stop(_signum, _frame):
        log.info("%s worker stopping", component)
        for loop in loops:
            loop.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for thread in threads:
        thread.start()
    log.info("%s worker started: relay, %d consumer(s), %d periodic task(s)", component, len(queues),
             len(periodic))
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)
    db.dispose()
