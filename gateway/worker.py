"""`python -m gateway.worker`: publishes the gateway's outbox (identity and site events) and runs the notifier."""
from __future__ import annotations

import logging

from gateway.notifications.handlers import HANDLERS as NOTIFICATION_HANDLERS
from shared.config import Settings
from shared.worker import PeriodicTask, run_worker

log = logging.getLogger("veilleuse.notifier")
QUEUES: dict = {"gateway.notifications": NOTIFICATION_HANDLERS}
NOTIFIER_SECONDS = 2.0      # decide what the queue recorded, send what is due
PLANNER_SECONDS = 300.0     # look for tomorrow's distributions and ending access periods


def notifier_tasks(settings: Settings) -> list[PeriodicTask]:
    from gateway.notifications.jobs import Notifications

    notifications = Notifications(settings)
    if notifications.mail.smtp_url is None:
        log.warning("SMTP_URL is not set: mails are written to %s (development only)", notifications.mail.files_dir)
    return [PeriodicTask("notifier", notifications.round, NOTIFIER_SECONDS, first_delay=1.0),
            PeriodicTask("notification planner", notifications.plan, PLANNER_SECONDS, first_delay=10.0)]


if __name__ == "__main__":
    settings = Settings.from_env("gateway")
    run_worker("gateway", QUEUES, settings, periodic=notifier_tasks(settings))
