"""Demo data of the relay: a farm, a season contract at La Coroutine, two neighbours subscribed."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from shared.db import Database

CONTRACT_NAME = "Légumes de saison — Ferme du Pévèle"


def seed_relay(db: Database, today: date | None = None) -> None:
    """Idempotent: a second run changes nothing. Needs the sites (infra.demo_data.deliver_sites) first."""
    from infra.demo_data import demo_id
    from services.relay import service
    from services.relay.models import Contract

    today = today or date.today()
    with db.transaction() as session:
        if session.scalars(select(Contract).where(Contract.name == CONTRACT_NAME)).first() is not None:
            return
        if service.find_site(session, "la-coroutine") is None:
            return
        producer = service.create_producer(session, "Ferme du Pévèle", contact="ferme@example.test",
                                           produce="Légumes de saison, œufs, pommes")
        start = today + timedelta(days=(3 - today.weekday()) % 7 or 7)  # next Thursday
        contract = service.create_contract(
            session, producer.id, "la-coroutine", CONTRACT_NAME, "thu", "18:00", "20:00", start,
            start + timedelta(weeks=11),
            [{"name": "small", "description": "Petit panier de légumes (2 personnes)", "price_cents": 1200,
              "solidarity_price_cents": 600},
             {"name": "large", "description": "Grand panier de légumes (4 personnes)", "price_cents": 2000,
              "solidarity_price_cents": 1000}],
            max_shares=30, absence_allowance=2, absence_cutoff_hours=48)
        service.subscribe(session, contract.id, demo_id("account", "voisin@coroutine.test"), "small",
                          display_name="Sam")
        service.subscribe(session, contract.id, demo_id("account", "asso@coroutine.test"), "large",
                          solidarity=True, display_name="Dominique")
