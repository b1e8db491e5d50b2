"""Demo data of housing: a published room, an offer waiting for review, a newcomer's request.

Running it twice changes nothing. Call `seed_housing(databases["housing"])` from infra/demo_data.py.
"""
from __future__ import annotations

from datetime import date, timedelta

from shared.db import Database


def seed_housing(db: Database) -> None:
    from infra.demo_data import demo_id
    from services.housing import service
    from services.housing.models import HousingRequest, Offer
    from services.housing.service import Viewer

    host = demo_id("account", "asso@coroutine.test")
    newcomer = demo_id("account", "voisin@coroutine.test")
    veilleur = Viewer(demo_id("account", "veilleur@coroutine.test"), staff=True)
    today = date.today()
    with db.transaction() as session:
        room_id = demo_id("housing-offer", "wazemmes-room")
        if session.get(Offer, room_id) is None:
            service.create_offer(
                session, host, offer_id=room_id, kind="room", rent_cents=38_000, charges_cents=4_000,
                deposit_cents=38_000, available_from=today + timedelta(days=10), area="wazemmes", max_occupants=1,
                furnished=True, languages=["fr", "es", "en"], hours="quiet",
                house_rules="Colocation de trois personnes, calme en semaine, cuisine partagée.",
                contact_email="asso@coroutine.test")
            service.publish_offer(session, veilleur, room_id)
        flat_id = demo_id("housing-offer", "fives-flat")
        if session.get(Offer, flat_id) is None:
            service.create_offer(
                session, host, offer_id=flat_id, kind="whole_flat", rent_cents=95_000, charges_cents=12_000,
                deposit_cents=95_000, available_from=today + timedelta(days=30), area="fives", max_occupants=3,
                furnished=False, languages=["fr", "ar"], contact_email="asso@coroutine.test")
        request_id = demo_id("housing-request", "voisin")
        if session.get(HousingRequest, request_id) is None:
            service.create_request(
                session, newcomer, request_id=request_id, arrival_date=today + timedelta(days=14), stay_months=6,
                max_budget_cents=48_000, areas=["wazemmes", "moulins"], household_size=1, kind_wanted="any",
                languages=["es", "fr"], hours="quiet", about="Je commence un master à Lille.",
                contact_email="voisin@coroutine.test")
