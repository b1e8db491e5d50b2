"""`python -m services.relay.worker`: the relay outbox relay, consumers, and the distribution clock."""
from __future__ import annotations

import logging

from services.relay import service
from services.relay.events import ACCOUNT_ERASED
from services.relay.handlers import HANDLERS
from shared.db import Database
from shared.sites import SITE_EVENTS
from shared.worker import PeriodicTask, run_worker

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


if __name__ == "__main__":
    run_worker("relay", QUEUES, periodic=[PeriodicTask("distribution clock", tick, TICK_SECONDS)])
