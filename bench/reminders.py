"""Measurement 7: the AMAP reminders of one distribution with 2,000 baskets, planned, decided and sent.

`python -m bench.reminders` alone, or as part of `make bench`. PostgreSQL databases of their own (gateway,
relay), the relay's internal endpoint in-process, and a real SMTP server (aiosmtpd) on localhost."""
from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timezone

import psycopg
import requests

from bench.platform import PG_ADMIN_URL, pg_url
from shared.config import Settings, service_url
from shared.db import Database
from shared.migrations import upgrade

BASKETS = 2000
TARGET_S = 60.0
NOW = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
EVE = datetime(2026, 11, 4, 17, 30, tzinfo=timezone.utc)  # the day before the first distribution


def _database(label: str) -> str:
    name = f"bench_reminders_{label}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop(names: list[str]) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed(gateway: Database, relay: Database) -> None:
    from gateway import service as gateway_service
    from gateway.models import Account
    from gateway.notifications.models import ConfirmedAddress
    from infra.demo_data import apply_sites
    from services.relay import service as relay_service

    with gateway.transaction() as session:
        site = gateway_service.create_site(session, "la-coroutine", "La Coroutine", "8 rue Molière, 59800 Lille")
        events = [gateway_service.site_event_data(site)]
        accounts = []
        for n in range(BASKETS):
            account_id = str(uuid.uuid4())
            session.add(Account(id=account_id, email=f"voisin{n}@example.test", display_name=f"Voisin {n}",
                                password_hash="x", language="fr" if n % 3 else "en", roles=["neighbour"],
                                created_at=NOW, password_changed_at=NOW))
            session.add(ConfirmedAddress(account_id=account_id, email=f"voisin{n}@example.test", confirmed_at=NOW))
            accounts.append(account_id)
    apply_sites("relay", relay, events)
    with relay.transaction() as session:
        producer = relay_service.create_producer(session, "Ferme du Pévèle")
        contract = relay_service.create_contract(
            session, producer.id, "la-coroutine", "Légumes", "thu", "18:00", "20:00", date(2026, 11, 5),
            date(2026, 11, 5), [{"name": "small", "price_cents": 1200}], max_shares=BASKETS, now=NOW)
        for account_id in accounts:
            relay_service.subscribe(session, contract.id, account_id, "small", now=NOW)


def measure() -> dict:
    from gateway.notifications import service
    from gateway.notifications.deciding import decide_pending
    from gateway.notifications.jobs import Notifications
    from gateway.notifications.sending import send_due
    from gateway.notifications.settings import MailSettings
    from gateway.notifications.sources import Sources
    from services.relay import create_app as create_relay
    from tests.support.mailbox import Mailbox
    from tests.unit.web_support import WsgiAdapter

    names = [_database("gateway"), _database("relay")]
    gateway, relay = (Database(pg_url(name, "postgresql+psycopg")) for name in names)
    try:
        upgrade("gateway", gateway.url)
        upgrade("relay", relay.url)
        _seed(gateway, relay)
        settings = Settings.from_env("gateway", database_url=gateway.url)
        relay_app = create_relay({"SETTINGS": Settings.from_env("relay", database_url=relay.url), "DATABASE": relay})
        http = requests.Session()
        http.mount(service_url("relay").rstrip("/") + "/", WsgiAdapter(relay_app))
        with Mailbox() as box:
            mail = MailSettings(smtp_url=box.url, mail_from="Veilleuse <no-reply@veilleuse.test>", files_dir=None,
                                base_url="https://veilleuse.test")
            notifications = Notifications(settings, mail=mail, sources=Sources(settings, http))
            original = service.clock
            service.clock = lambda: EVE
            try:
                began = time.perf_counter()
                planned = notifications.plan(gateway, EVE)
                planned_at = time.perf_counter()
                decided = decide_pending(gateway, notifications.context(EVE))
                decided_at = time.perf_counter()
                sent = send_due(gateway, notifications.transport, mail.mail_from, EVE)
                done = time.perf_counter()
            finally:
                service.clock = original
            received = len(box.received)
        return {"baskets": BASKETS, "planned": planned, "decided": decided, "sent": sent, "received": received,
                "plan_s": round(planned_at - began, 3), "decide_s": round(decided_at - planned_at, 3),
                "send_s": round(done - decided_at, 3),
                "total_s": round(done - began, 3), "target_s": TARGET_S}
    finally:
        gateway.dispose()
        relay.dispose()
        _drop(names)


if __name__ == "__main__":
    result = measure()
    print(result)
    ok = result["received"] == BASKETS and result["total_s"] <= TARGET_S
    print(f"{BASKETS} reminders sent in {result['total_s']:.1f} s (target ≤ {TARGET_S:.0f} s): "
          f"{'ok' if ok else 'NOT MET'}")
