"""`python -m services.grocery.worker`: the grocery outbox relay, consumers and the daily check."""
from __future__ import annotations

import logging
import threading

from services.grocery.handlers import ACCOUNT_HANDLERS, DONATION_HANDLERS, SITE_HANDLERS
from shared.worker import run_worker

log = logging.getLogger("veilleuse.grocery")

QUEUES = {
    "grocery.sites": SITE_HANDLERS,
    "grocery.donations": DONATION_HANDLERS,
    "grocery.identity": ACCOUNT_HANDLERS,
}
DAILY_CHECK_EVERY_SECONDS = 3600


def run_daily_checks(db) -> int:
    """Expire ended access periods and announce expiring lots on every site; returns the sites checked."""
    from services.grocery import service

    with db.transaction() as session:
        site_ids = [site.id for site in service.list_sites(session)]
    for site_id in site_ids:
        with db.transaction() as session:
            service.daily_check(session, site_id)
    return len(site_ids)


def _daily_check_loop(stop: threading.Event) -> None:
    from shared.config import Settings
    from shared.db import Database

    db = Database(Settings.from_env("grocery").database_url)
    delay = 5.0
    while not stop.wait(delay):
        delay = DAILY_CHECK_EVERY_SECONDS
        try:
            run_daily_checks(db)
        except Exception:  # noqa: BLE001 - database away: try again at the next round
            log.warning("grocery daily check failed; retrying later", exc_info=True)


if __name__ == "__main__":
    threading.Thread(target=_daily_check_loop, args=(threading.Event(),), name="grocery daily check",
                     daemon=True).start()
    run_worker("grocery", QUEUES)
