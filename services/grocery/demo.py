"""Demo data of the grocery: rules of each demo site, a few products and lots; running it twice changes nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from shared.db import Database

DEMO_RULES = {"threshold_cents_per_day": 1000, "access_months": 3,
              "monthly_caps_cents": [3000, 4500, 6000, 7500, 9000],
              "tier_percentages": {"1": 10, "2": 20, "3": 30}}
# name, category, unit, retail cents, tier, local, deposit cents, monthly limit, quantity, DLC in days
DEMO_PRODUCTS = [
    ("Pâtes 500 g", "épicerie", "piece", 120, "1", False, 0, None, 40, None),
    ("Huile de tournesol 1 l", "épicerie", "piece", 350, "2", False, 0, 2, 12, None),
    ("Café moulu 250 g", "épicerie", "piece", 400, "3", False, 0, 1, 10, None),
    ("Lait demi-écrémé 1 l", "frais", "piece", 110, "1", False, 0, None, 24, 6),
    ("Pommes (Ferme du Pont)", "local", "kg", 280, None, True, 0, None, 15, None),
    ("Jus de pomme en bouteille consignée", "local", "piece", 350, None, True, 20, None, 18, None),
]


def seed_grocery(db: Database) -> None:
    from services.grocery import service
    from services.grocery.models import GroceryRules, Product, Site

    with db.transaction() as session:
        sites = list(session.scalars(select(Site)))
        for site in sites:
            if session.get(GroceryRules, site.id) is None:
                service.set_rules(session, site.id, None, **DEMO_RULES)
        coroutine = next((site for site in sites if site.slug == "la-coroutine"), None)
        if coroutine is None:
            return
        today = service.site_today(coroutine)
        for name, category, unit, price, tier, local, deposit, limit, quantity, dlc_days in DEMO_PRODUCTS:
            key = f"demo:{name}"
            if session.scalars(select(Product).where(Product.site_id == coroutine.id,
                                                     Product.external_key == key)).first() is not None:
                continue
            product = service.create_product(session, coroutine.id, name, category, unit, price, tier, local,
                                             deposit, limit, external_key=key)
            expiry = ("dlc", today + timedelta(days=dlc_days)) if dlc_days else ("none", None)
            service.receive_lot(session, product.id, quantity, "purchase", None, expiry[0], expiry[1],
                                storage_place="réserve")
