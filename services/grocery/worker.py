"""`python -m services.grocery.worker`: the grocery outbox relay, consumers and the daily check."""
from __future__ import annotations

from services.grocery.handlers import ACCOUNT_HANDLERS, DONATION_HANDLERS, SITE_HANDLERS
from shared.worker import PeriodicTask, run_worker

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


if __name__ == "__main__":
    run_worker("grocery", QUEUES, periodic=[PeriodicTask("grocery daily check", run_daily_checks,
                                                         DAILY_CHECK_EVERY_SECONDS, first_delay=5.0)])
