"""`python -m infra.demo_data`: the demo sites, rooms and accounts; running it twice changes nothing."""
from __future__ import annotations

import os
import uuid

from sqlalchemy import select

from shared.config import Settings
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
ROOMS = {
    "la-coroutine": [
        ("Salle de réunion", 10, ["écran", "tableau blanc", "wifi"], "Plain-pied, porte de 90 cm."),
        ("Espace coworking", 20, ["20 postes", "wifi", "imprimante"], "Plain-pied."),
        ("Salle d'événements", 40, ["vidéoprojecteur", "sono", "chaises"], "Plain-pied, toilettes adaptées."),
        ("Makerspace", 8, ["imprimante 3D", "métier à tisser", "machines à coudre"], "Plain-pied."),
    ],
    "mutualab": [
        ("Open space", 20, ["20 postes", "wifi"], ""),
        ("Salle de réunion 1", 8, ["écran"], ""),
        ("Salle de réunion 2", 6, ["tableau blanc"], ""),
    ],
}
ORGANISATIONS = [("Collectif pour un revenu de base Lille", "association")]
ACCOUNTS = [
    ("admin@coroutine.test", "Admin Coroutine", ["admin", "veilleur"], None),
    ("veilleur@coroutine.test", "Camille (veilleuse)", ["veilleur", "neighbour"], None),
    ("voisin@coroutine.test", "Sam (voisin)", ["neighbour"], None),
    ("asso@coroutine.test", "Dominique (association)", ["neighbour"], "Collectif pour un revenu de base Lille"),
]


def seed_gateway(db: Database, password: str) -> list[dict]:
    from gateway import service
    from gateway.models import Account, Organisation, Site
    from gateway.notifications.service import mark_confirmed

    site_events = []
    with db.transaction() as session:
        for spec in SITES:
            site = session.get(Site, demo_id("site", spec["slug"]))
            if site is None:
                site = service.create_site(session, site_id=demo_id("site", spec["slug"]), **spec)
            site_events.append(service.site_event_data(site))
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
    return site_events


def apply_sites(component: str, db: Database, site_events: list[dict]) -> None:
    """Give a service its copy of the sites now, as the `platform.site.created` events will."""
    import importlib

    handlers = importlib.import_module(f"services.{component}.handlers").HANDLERS
    handler = handlers.get("platform.site.created")
    if handler is None:
        return
    with db.transaction() as session:
        for data in site_events:
            handler(session, {"type": "platform.site.created", "data": data})


def seed_booking(db: Database) -> None:
    from services.booking import service
    from services.booking.models import Room

    with db.transaction() as session:
        for slug, rooms in ROOMS.items():
            for name, capacity, equipment, accessibility in rooms:
                room_id = demo_id("room", f"{slug}/{name}")
                if session.get(Room, room_id) is None:
                    service.create_room(session, demo_id("site", slug), name, capacity, equipment,
                                        accessibility, rates=RATES, room_id=room_id)


def seed(password: str | None = None) -> None:
    password = password or os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
    databases = {name: Database(Settings.from_env(name).database_url)
                 for name in ("gateway", "booking", "relay", "grocery", "housing")}
    site_events = seed_gateway(databases["gateway"], password)
    for name in ("booking", "relay", "grocery", "housing"):
        apply_sites(name, databases[name], site_events)
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
