"""The notifier on the real RabbitMQ, PostgreSQL and an SMTP server: a burst while the mail server is down."""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from gateway.models import Account
from gateway.notifications import service
from gateway.notifications.deciding import decide_pending
from gateway.notifications.handlers import HANDLERS
from gateway.notifications.jobs import Notifications
from gateway.notifications.models import ConfirmedAddress, Decision, Notification
from gateway.notifications.sending import send_due
from gateway.notifications.settings import MailSettings
from shared.bus.consumer import Consumer
from shared.config import Settings
from shared.events import encode, new_event
from tests.support.bus import Running, publish_raw, queue_exists, wait_until
from tests.support.mailbox import Mailbox, free_port

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
QUEUE = "gateway.notifications"


def people(db, count: int) -> list[str]:
    ids = []
    with db.transaction() as session:
        for n in range(count):
            account_id = str(uuid.uuid4())
            session.add(Account(id=account_id, email=f"voisin{n}@example.test", display_name=f"Voisin {n}",
                                password_hash="x", language="fr" if n % 2 else "en", roles=["neighbour"],
                                created_at=NOW, password_changed_at=NOW))
            session.add(ConfirmedAddress(account_id=account_id, email=f"voisin{n}@example.test", confirmed_at=NOW))
            ids.append(account_id)
    return ids


def absence(account_id: str) -> dict:
    basket = str(uuid.uuid4())
    return new_event("relay.basket.absence_declared", "/veilleuse/relay", {
        "basket_id": basket, "distribution_id": "d-1", "site_id": "site-1", "account_id": account_id,
        "distribution_date": "2026-11-05", "starts_at": "2026-11-05T17:00:00+00:00",
        "ends_at": "2026-11-05T19:00:00+00:00", "basket_kind": "small", "quantity": 1, "status": "absent",
        "absences_used": 1, "absence_allowance": 2}, subject=basket)


def count(db, model, *where) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_burst_while_the_mail_server_is_down_goes_out_once_when_it_returns(pg_database, amqp_url, monkeypatch):
    monkeypatch.setattr(service, "clock", lambda: NOW)
    db = pg_database("gateway")
    accounts = people(db, 200)
    port = free_port()
    box = Mailbox(port)  # not started: the mail server is down
    mail = MailSettings(smtp_url=box.url, mail_from="Veilleuse <no-reply@veilleuse.test>", files_dir=None,
                        base_url="https://veilleuse.test")
    notifications = Notifications(Settings.from_env("gateway", database_url=db.url), mail=mail)
    consumer = Consumer(db, amqp_url, "veilleuse.events", "veilleuse.dlx", QUEUE, HANDLERS, prefetch=32)
    events = [absence(account_id) for account_id in accounts]
    with Running(consumer):
        assert wait_until(lambda: queue_exists(amqp_url, QUEUE))
        for event in events:
            publish_raw(amqp_url, event["type"], encode(event), message_id=event["id"])
        assert wait_until(lambda: count(db, Decision) == 200, timeout=60)

        first = notifications.round(db, NOW)
        assert first == {"decided": 200, "postponed": 200}
        assert count(db, Notification, Notification.status == "queued") == 200

        # The same events again, as a broker does after a restart: nothing new is decided.
        for event in events:
            publish_raw(amqp_url, event["type"], encode(event), message_id=event["id"])
        follow_up = absence(accounts[0])
        publish_raw(amqp_url, follow_up["type"], encode(follow_up), message_id=follow_up["id"])
        assert wait_until(lambda: count(db, Decision) == 201, timeout=60)

    box.start()
    try:
        # Two senders at once, as two gateway workers would be: each mail is claimed by one of them.
        later = NOW + timedelta(minutes=1)
        assert decide_pending(db, notifications.context(later)) == {"decided": 1}  # the follow-up
        results = []
        senders = [threading.Thread(target=lambda: results.append(
            send_due(db, notifications.transport, mail.mail_from, later, batch=25))) for _ in range(2)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(60)
        assert sum(r["sent"] for r in results) == 201 and all(r["sent"] for r in results), results
        assert notifications.round(db, NOW + timedelta(hours=3)) is None
        received = Counter(address for message in box.received for address in message.recipients)
        assert sum(received.values()) == 201
        assert received["voisin0@example.test"] == 2 and set(received.values()) <= {1, 2}
        assert len(received) == 200 and max(c for a, c in received.items() if a != "voisin0@example.test") == 1
        assert count(db, Notification, Notification.status == "sent") == 201
        french = [m for m in box.received if "voisin1@example.test" in m.recipients][0]
        english = [m for m in box.received if "voisin2@example.test" in m.recipients][0]
        assert french.subject.startswith("Absence enregistrée") and english.subject.startswith("Absence recorded")
    finally:
        box.stop()
