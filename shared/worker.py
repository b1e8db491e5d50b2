"""Running a component's worker: the outbox relay and its consumers, each on its own connection."""
from __future__ import annotations

import logging
import signal
import threading

from shared.bus.consumer import Consumer, HandlerFn
from shared.bus.relay import OutboxRelay
from shared.config import Settings
from shared.db import Database
from shared.logs import configure_logging

log = logging.getLogger("veilleuse.worker")


def build_loops(settings: Settings, db: Database, queues: dict[str, dict[str, HandlerFn]]) -> list:
    loops: list = [OutboxRelay(db, settings.amqp_url, settings.exchange)]
    for queue, handlers in queues.items():
        loops.append(Consumer(db, settings.amqp_url, settings.exchange, settings.dead_letter_exchange,
                              queue, handlers, prefetch=settings.prefetch))
    return loops


def run_worker(component: str, queues: dict[str, dict[str, HandlerFn]],
               settings: Settings | None = None) -> None:
    settings = settings or Settings.from_env(component)
    configure_logging(component, settings.log_level)
    db = Database(settings.database_url)
    loops = build_loops(settings, db, queues)
    threads = [threading.Thread(target=loop.run_forever, name=loop.name, daemon=True) for loop in loops]

    def _stop(_signum, _frame):
        log.info("%s worker stopping", component)
        for loop in loops:
            loop.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for thread in threads:
        thread.start()
    log.info("%s worker started: relay and %d consumer(s)", component, len(queues))
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)
    db.dispose()
