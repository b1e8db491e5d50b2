"""The notifier's periodic work in `python -m gateway.worker`: decide, group, send; plan reminders."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from gateway.notifications import service
from gateway.notifications.deciding import Context, decide_pending, record_decision, send_request_digests
from gateway.notifications.sending import send_due
from gateway.notifications.settings import MailSettings
from gateway.notifications.sources import Sources, SourceUnavailable
from gateway.notifications.transport import transport_for
from shared import keys
from shared.config import Settings
from shared.db import Database

log = logging.getLogger("veilleuse.notifier")
REMINDER_AHEAD = timedelta(hours=24)      # "the day before"
ACCESS_ENDING_AHEAD_DAYS = 14


class Notifications:
    """Everything the notifier's loop needs, built once per worker process."""

    def __init__(self, settings: Settings, mail: MailSettings | None = None, sources: Sources | None = None,
                 transport=None):
        self.mail = mail or MailSettings.from_env()
        self.notifier = service.Notifier(self.mail, settings.token_key or keys.token_signing_key())
        self.sources = sources or Sources(settings)
        self.transport = transport or transport_for(self.mail)

    def context(self, now: datetime) -> Context:
        return Context(self.notifier, self.sources, now)

    def round(self, db: Database, now: datetime | None = None) -> dict | None:
        """Decide what was recorded, send the grouped messages that are due, then send every mail due."""
        now = now or service.clock()
        decided = decide_pending(db, self.context(now))
        with db.transaction() as session:
            digests = send_request_digests(session, self.context(now))
        sent = send_due(db, self.transport, self.mail.mail_from, now)
        done = {**decided, **({"digests": digests} if digests else {}), **{k: v for k, v in sent.items() if v}}
        return done or None

    @staticmethod
    def _ask(read) -> list[dict]:
        """A service away delays its own reminders only: the next round asks again."""
        try:
            return read()
        except SourceUnavailable as exc:
            log.warning("reminders wait: %s", exc)
            return []

    def plan(self, db: Database, now: datetime | None = None) -> dict | None:
        """Record the reminders and notices that time makes due; each occurrence once."""
        now = now or service.clock()
        planned = {"reminders": 0, "access_ending": 0}
        upcoming = self._ask(lambda: self.sources.upcoming_distributions(
            now.isoformat(), (now + REMINDER_AHEAD).isoformat()))
        ending = self._ask(lambda: self.sources.households_ending(
            (now.date() + timedelta(days=ACCESS_ENDING_AHEAD_DAYS)).isoformat()))
        with db.transaction() as session:
            for distribution in upcoming:
                planned["reminders"] += record_decision(
                    session, f"amap.reminder:{distribution['id']}:{distribution['starts_at']}", "amap.reminder",
                    {"distribution_id": distribution["id"], "site_id": distribution["site_id"]}, now,
                    subject=distribution["id"])
            for household in ending:
                if household["eligible_until"] < now.date().isoformat():
                    continue  # already over: the grocery's daily check expires it
                planned["access_ending"] += record_decision(
                    session, f"grocery.access_ending:{household['household_id']}:{household['eligible_until']}",
                    "grocery.access_ending", household, now, subject=household["household_id"])
        return {k: v for k, v in planned.items() if v} or None
