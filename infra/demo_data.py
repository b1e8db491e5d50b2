"""`python -m infra.demo_data`: the demo sites, rooms and accounts; running it twice changes nothing.

It needs the migrated system (`python -m shared.migrations`: databases and bus topology) and RabbitMQ:
the services get the demo sites over the bus, as they get every other site."""
from __future__ import annotations

import os
import uuid

from sqlalchemy import select

from shared.config import SERVICES, Settings
from shared.db import Database

NAMESPACE = uuid.UUID("6f1c1f0e-8a4f-4f0e-9d0a-2c1b5e7d9a10")
DEFAULT_PASSWORD = "veilleuse-demo"


def demo_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


WEEKDAY_HOURS = [{"opens": "09:00", "closes": "19:00"}]
SITES = [
    {"slug": "la-coroutine", "name": "La Coroutine", "address": "8 rue Molière, 59800 Lille",
     "description": "Coworking et tiers-lieu autogéré, 170 m² : 20 postes, une salle de réunion, un coin "
                    "café, un makerspace et une salle d'événements.",
     "opening_hours": {d: WEEKDAY_HOURS for d in ("mon", "tue", "wed", "thu", "fri")}
     | {"sat": [{"opens": "10:00", "closes": "18:00"}]}},
    {"slug": "mutualab", "name": "Mutualab", "address": "Lille",
     "description": "Coworking, 130 m² : une vingtaine de postes et deux salles de réunion.",
     "opening_hours": {d: [{"opens": "08:30", "closes": "19:30"}] for d in ("mon", "tue", "wed", "thu", "fri")}},
]
PAID = {"hour": 200, "half_day": 500, "day": 1000, "money_box": False}
FREE = {"hour": 0, "half_day": 0, "day": 0, "money_box": True}
RATES = {"association": FREE, "citizen_group": FREE, "individual": PAID, "public_body": PAID, "company": PAID}
# name, kind, capacity, coworking desks, equipment, accessibility
ROOMS = {
    "la-coroutine": [
        ("Salle de réunion", "meeting", 10, 0, ["écran", "tableau blanc", "wifi"], "Plain-pied, porte de 90 cm."),
        ("Espace coworking", "coworking", 20, 20, ["20 postes", "wifi", "imprimante"], "Plain-pied."),
        ("Salle d'événements", "event", 40, 0, ["vidéoprojecteur", "sono", "chaises"],
         "Plain-pied, toilettes adaptées."),
        ("Makerspace", "workshop", 8, 0, ["imprimante 3D", "métier à tisser", "machines à coudre"], "Plain-pied."),
    ],
    "mutualab": [
        ("Open space", "coworking", 20, 20, ["20 postes", "wifi"], ""),
        ("Salle de réunion 1", "meeting", 8, 0, ["écran"], ""),
        ("Salle de réunion 2", "meeting", 6, 0, ["tableau blanc"], ""),
    ],
}
ORGANISATIONS = [("Collectif pour un revenu de base Lille", "association")]
ACCOUNTS = [
    ("admin@coroutine.test", "Admin Coroutine", ["admin", "veilleur"], None),
    ("veilleur@coroutine.test", "Camille (veilleuse)", ["veilleur", "neighbour"], None),
    ("voisin@coroutine.test", "Sam (voisin)", ["neighbour"], None),
    ("asso@coroutine.test", "Dominique (association)", ["neighbour"], "Collectif pour un revenu de base Lille"),
]


def seed_gateway(db: Database, password: str) -> list[str]:
    """The sites, organisation and accounts; returns the demo sites' ids."""
    from gateway import service
    from gateway.models import Account, Organisation, Site
    from gateway.notifications.service import mark_confirmed

    site_ids = []
    with db.transaction() as session:
        for spec in SITES:
            site = session.get(Site, demo_id("site", spec["slug"]))
            if site is None:
                site = service.create_site(session, site_id=demo_id("site", spec["slug"]), **spec)
            site_ids.append(site.id)
        for name, kind in ORGANISATIONS:
            if session.get(Organisation, demo_id("org", name)) is None:
                service.create_organisation(session, name, kind, organisation_id=demo_id("org", name))
        for email, display_name, roles, org in ACCOUNTS:
            exists = session.scalars(select(Account).where(Account.email == email)).first()
            if exists is None:
                exists = service.register_account(session, email, password, display_name, "fr", roles,
                                                  demo_id("org", org) if org else None,
                                                  account_id=demo_id("account", email))
            # The demo addresses count as confirmed, so that the demo shows every kind of message.
            mark_confirmed(session, exists, exists.created_at)
    return site_ids


def site_queues(component: str) -> dict[str, dict]:
    """The queues through which a service's worker keeps its copy of the sites."""
    from shared.bus.topology import worker_module

    return {queue: handlers for queue, handlers in worker_module(component).QUEUES.items()
            if "platform.site.created" in handlers}


def deliver_sites(databases: dict[str, Database], site_ids: list[str], timeout: float = 60.0) -> None:
    """Send the gateway's site events over the bus and let each service's site consumer apply them,
    exactly as the workers do (inbox included): the rooms, contracts and stock seeded next need the
    sites. The queues exist since `python -m shared.migrations`, so nothing published is lost."""
    import importlib

    from shared.bus.consumer import Consumer
    from shared.bus.relay import OutboxRelay

    settings = Settings.from_env("gateway")
    OutboxRelay(databases["gateway"], settings.amqp_url, settings.exchange).run_until_empty(timeout)
    for component in SERVICES:
        queues = site_queues(component)
        if not queues:   # housing keeps no copy of the sites
            continue
        site_model = importlib.import_module(f"services.{component}.models").Site

        def has_every_site(db=databases[component], site_model=site_model):
            with db.sessions() as session:
                return all(session.get(site_model, site_id) is not None for site_id in site_ids)

        for queue, handlers in queues.items():
            consumer = Consumer(databases[component], settings.amqp_url, settings.exchange,
                                settings.dead_letter_exchange, queue, handlers)
            if not consumer.run_until(has_every_site, timeout):
                raise RuntimeError(f"{component} did not get the demo sites from {queue} in {timeout:.0f}s")


def seed_booking(db: Database) -> None:
    from services.booking import service
    from services.booking.models import Room

    with db.transaction() as session:
        for slug, rooms in ROOMS.items():
            for name, kind, capacity, desks, equipment, accessibility in rooms:
                room_id = demo_id("room", f"{slug}/{name}")
                room = session.get(Room, room_id)
                if room is None:
                    service.create_room(session, demo_id("site", slug), name, capacity, equipment,
                                        accessibility, rates=RATES, room_id=room_id, kind=kind, desks=desks)
                elif (room.kind, room.desks) != (kind, desks):   # seeded before rooms had a kind and desks
                    service.update_room(session, room_id, {"kind": kind, "desks": desks})


def seed(password: str | None = None) -> None:
    password = password or os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
    databases = {name: Database(Settings.from_env(name).database_url) for name in ("gateway", *SERVICES)}
    site_ids = seed_gateway(databases["gateway"], password)
    deliver_sites(databases, site_ids)
    seed_booking(databases["booking"])
    from services.grocery.demo import seed_grocery
    from services.housing.demo import seed_housing
    from services.relay.demo import seed_relay

    seed_relay(databases["relay"])
    seed_grocery(databases["grocery"])
    seed_housing(databases["housing"])
    for db in databases.values():
        db.dispose()


if __name__ == "__main__":
    seed()
    print("demo data ready: sites, rooms, accounts, an AMAP contract, grocery rules and products, housing offers")
