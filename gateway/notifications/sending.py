"""Handing queued mails to the transport: each claimed by one sender, marked as it goes, retried with a
growing delay while the server is away, and set aside (failed) after a 5xx refusal or too many tries."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy import delete, or_, select, update

from gateway.notifications.models import Notification, OutgoingMail
from gateway.notifications.transport import DeliveryError
from shared.db import Database

log = logging.getLogger("veilleuse.notifier")
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 30   # 1, 2, 4, ... 60 minutes: a little over a day of trying


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 2, 4, 8 ... minutes, then every hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LAST_RETRY)


def _claim(db: Database, now: datetime, batch: int) -> list[tuple[str, str, bytes]]:
    """Take up to `batch` due mails for this sender for a while (others skip them)."""
    with db.transaction() as session:
        query = (select(Notification.id).where(
            Notification.status == "queued", Notification.next_attempt_at <= now,
            or_(Notification.claimed_until.is_(None), Notification.claimed_until <= now))
            .order_by(Notification.next_attempt_at, Notification.created_at).limit(batch))
        if db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if not ids:
            return []
        session.execute(update(Notification).where(Notification.id.in_(ids)).values(claimed_until=now + LEASE))
        rows = session.execute(select(OutgoingMail.notification_id, OutgoingMail.recipient, OutgoingMail.message)
                               .where(OutgoingMail.notification_id.in_(ids))).all()
    found = {row[0]: (row[0], row[1], row[2]) for row in rows}
    return [found[i] for i in ids if i in found]


def _mark_sent(db: Database, notification_id: str, now: datetime) -> None:
    # Its own transaction, right after the server accepted it: a later failure cannot undo the mark.
    with db.transaction() as session:
        session.execute(update(Notification).where(Notification.id == notification_id).values(
            status="sent", sent_at=now, attempts=Notification.attempts + 1, claimed_until=None, last_error=None))
        session.execute(delete(OutgoingMail).where(OutgoingMail.notification_id == notification_id))


def _mark_failed(db: Database, notification_id: str, now: datetime, reason: str) -> None:
    with db.transaction() as session:
        session.execute(update(Notification).where(Notification.id == notification_id).values(
            status="failed", failed_at=now, attempts=Notification.attempts + 1, claimed_until=None,
            last_error=reason[:200]))
        session.execute(delete(OutgoingMail).where(OutgoingMail.notification_id == notification_id))


def _postpone(db: Database, ids: list[str], now: datetime, reason: str) -> int:
    """Try these again later, each after its own growing delay; give up on those tried too often."""
    given_up = 0
    with db.transaction() as session:
        for notification in session.scalars(select(Notification).where(Notification.id.in_(ids))):
            notification.attempts += 1
            notification.claimed_until = None
            notification.last_error = reason[:200]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status, notification.failed_at = "failed", now
                session.execute(delete(OutgoingMail).where(OutgoingMail.notification_id == notification.id))
                given_up += 1
            else:
                notification.next_attempt_at = now + retry_delay(notification.attempts)
    return given_up


def send_due(db: Database, transport, sender: str, now: datetime, batch: int = 200,
             max_rounds: int = 1000) -> dict:
    """Send every mail due at `now`; returns counts. Never raises for a delivery problem."""
    sender = parseaddr(sender)[1] or sender  # the envelope's address, without the display name
    sent = failed = postponed = 0
    for _ in range(max_rounds):
        claimed = _claim(db, now, batch)
        if not claimed:
            break
        remaining = [c[0] for c in claimed]
        try:
            with transport.connection() as connection:
                for notification_id, recipient, message in claimed:
                    try:
                        connection.send(sender, recipient, message)
                    except DeliveryError as exc:
                        if not exc.permanent:
                            raise
                        _mark_failed(db, notification_id, now, exc.reason)
                        failed += 1
                        log.warning("mail refused for good", extra={"notification_id": notification_id,
                                                                    "reason": exc.reason})
                    else:
                        _mark_sent(db, notification_id, now)
                        sent += 1
                    remaining.remove(notification_id)
        except DeliveryError as exc:
            # The server is away (or the connection broke): the rest of the batch waits its turn.
            given_up = _postpone(db, remaining, now, exc.reason)
            postponed += len(remaining) - given_up
            failed += given_up
            log.warning("mail server unavailable; %d mail(s) postponed", len(remaining),
                        extra={"reason": exc.reason})
            break
    return {"sent": sent, "failed": failed, "postponed": postponed}
