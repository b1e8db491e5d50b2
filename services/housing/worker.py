"""`python -m services.housing.worker`: the housing outbox relay, consumers and housekeeping.

Housekeeping runs every HOUSING_HOUSEKEEPING_SECONDS (default 300): requests past 60 days expire,
expired requests past their retention are deleted, and roommate groups are proposed.
"""
from __future__ import annotations

import os

from services.housing import service
from services.housing.handlers import HANDLERS
from shared.db import Database
from shared.worker import PeriodicTask, run_worker

QUEUES = {"housing.identity": HANDLERS}


def housekeeping(db: Database) -> dict:
    """One round; each task in its own transaction, so that one failing holds back none of the others."""
    done = {}
    for task in (service.expire_requests, service.purge_expired_requests, service.propose_groups):
        with db.transaction() as session:
            done[task.__name__] = task(session)
    return done


if __name__ == "__main__":
    interval = float(os.environ.get("HOUSING_HOUSEKEEPING_SECONDS", "300"))
    run_worker("housing", QUEUES, periodic=[PeriodicTask("housing housekeeping", housekeeping, interval,
                                                         first_delay=interval)])
