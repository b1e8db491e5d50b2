"""End to end through the gateway: a household judged by the rule shops within its cap; FEFO; no expired DLC."""
from __future__ import annotations

import json
import uuid

import requests

from shared.bus.tail import Tap
from shared.events import encode, new_event
from tests.support.bus import publish_raw, wait_until
from tests.support.platform_time import days_ahead

RULES = {"threshold_cents_per_day": 1200, "access_months": 3, "monthly_caps_cents": [3000, 5000, 7000],
         "tier_percentages": {"1": 10, "2": 20, "3": 30}}


def queue_exists(amqp_url, queue):
    from shared.bus.amqp import connect

    connection = connect(amqp_url)
    try:
        connection.channel().queue_declare(queue=queue, passive=True)
        return True
    except Exception:  # noqa: BLE001 - not declared yet
        return False
    finally:
        if connection.is_open:
            connection.close()


def api(system, path):
    return system.url(f"/api/grocery{path}")


def coroutine_id(system):
    sites = requests.get(system.url("/api/sites"), timeout=10).json()
    return next(site["id"] for site in sites if site["slug"] == "la-coroutine")


def configure_rules(system):
    response = requests.put(api(system, "/sites/la-coroutine/rules"), json=RULES,
                            headers=system.auth("admin@coroutine.test"), timeout=10)
    assert response.status_code == 200, response.text


def new_product(system, **fields):
    body = {"site": "la-coroutine", "name": f"Produit {uuid.uuid4().hex[:6]}", "category": "épicerie",
            "unit": "piece", "retail_price_cents": 1000, "tier": "3", **fields}
    response = requests.post(api(system, "/products"), json=body, headers=system.auth("admin@coroutine.test"),
                             timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def receive(system, headers, product_id, quantity, expiry_date=None, kind="none"):
    body = {"product_id": product_id, "quantity": quantity, "source": "purchase", "expiry_kind": kind,
            "expiry_date": expiry_date.isoformat() if expiry_date else None, "storage_place": "étagère 2"}
    response = requests.post(api(system, "/lots"), json=body, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_household_judged_eligible_shops_within_its_cap_and_is_refused_beyond_it(system):
    configure_rules(system)
    veilleur = system.auth("veilleur@coroutine.test")
    tap = Tap(system.amqp_url, ["grocery.#"])
    try:
        registered = requests.post(api(system, "/households"), headers=veilleur, timeout=10, json={
            "site": "la-coroutine", "referrer_organisation": "CCAS de Lille", "household_size": 2,
            "monthly_resources_cents": 110000, "fixed_charges_cents": 65000})
        assert registered.status_code == 201, registered.text
        household = registered.json()
        assert household["status"] == "eligible" and household["reste_a_vivre_cents_per_day"] == 750
        assert household["monthly_cap_cents"] == 5000
        card = household["card_number"]
        till = requests.get(api(system, f"/cards/{card}"), headers=veilleur, timeout=10).json()
        assert till == {"card_number": card, "eligible_until": household["eligible_until"],
                        "budget_left_cents": 5000, "currency": "EUR"}

        product = new_product(system, retail_price_cents=10000)  # 30.00 a piece at 30 %
        receive(system, veilleur, product["id"], 5)
        sale = {"site": "la-coroutine", "kind": "solidarity", "card_number": card, "payment_method": "cash",
                "lines": [{"product_id": product["id"], "quantity": 1}]}
        key = str(uuid.uuid4())
        first = requests.post(api(system, "/sales"), json=sale, timeout=10,
                              headers={**veilleur, "Idempotency-Key": key})
        assert first.status_code == 201, first.text
        assert first.json()["goods_cents"] == 3000 and first.json()["budget_left_cents"] == 2000
        double_click = requests.post(api(system, "/sales"), json=sale, timeout=10,
                                     headers={**veilleur, "Idempotency-Key": key})
        assert double_click.status_code == 200 and double_click.json()["id"] == first.json()["id"]

        second = requests.post(api(system, "/sales"), json=sale, timeout=10,
                               headers={**veilleur, "Idempotency-Key": str(uuid.uuid4())})
        assert second.status_code == 409
        assert second.headers["Content-Type"].startswith("application/problem+json")
        assert second.json()["remaining_cents"] == 2000
        assert "2000 cents remain" in second.json()["detail"]

        completed = tap.wait_for(lambda e: e["type"] == "grocery.sale.completed"
                                 and e["subject"] == first.json()["id"])
        assert completed and completed[0]["data"]["goods_cents"] == 3000
        assert card not in json.dumps(completed) and household["id"] not in json.dumps(completed)
        assert tap.wait_for(lambda e: e["type"] == "grocery.household.registered"
                            and e["subject"] == household["id"])
    finally:
        tap.close()


def test_fefo_sells_the_earliest_lot_first(system):
    configure_rules(system)
    veilleur = system.auth("veilleur@coroutine.test")
    product = new_product(system, tier=None, local=True, name="Yaourt fermier")
    later = receive(system, veilleur, product["id"], 4, days_ahead(20), "dlc")
    earlier = receive(system, veilleur, product["id"], 2, days_ahead(5), "dlc")
    response = requests.post(api(system, "/sales"), headers=veilleur, timeout=10, json={
        "site": "la-coroutine", "kind": "shop", "payment_method": "card",
        "lines": [{"product_id": product["id"], "quantity": 3}]})
    assert response.status_code == 201, response.text
    taken = response.json()["lines"][0]["lots"]
    assert [(entry["lot_id"], entry["quantity"]) for entry in taken] == [(earlier["id"], 2), (later["id"], 1)]
    assert response.json()["amount_due_cents"] == 3000


def test_an_expired_dlc_lot_from_an_unclaimed_basket_is_never_sold(system):
    configure_rules(system)
    veilleur = system.auth("veilleur@coroutine.test")
    basket_id = f"basket-{uuid.uuid4().hex[:8]}"
    event = new_event("relay.basket.unclaimed", "/veilleuse/relay", {
        "basket_id": basket_id, "distribution_id": "distribution-e2e", "site_id": coroutine_id(system),
        "distribution_date": days_ahead(-10).isoformat(), "producer_id": "producer-e2e",
        "basket_kind": "large", "category": "bread", "quantity": 2})
    assert wait_until(lambda: queue_exists(system.amqp_url, "grocery.donations"))
    publish_raw(system.amqp_url, "relay.basket.unclaimed", encode(event), message_id=event["id"])

    def the_lot():
        lots = requests.get(api(system, "/lots"), params={"site": "la-coroutine"}, headers=veilleur,
                            timeout=10).json()
        return next((lot for lot in lots if lot["basket_id"] == basket_id), None)

    assert wait_until(lambda: the_lot() is not None, timeout=20)
    lot = the_lot()
    assert lot["expiry_kind"] == "dlc" and lot["expired"] and not lot["sellable"] and lot["quantity"] == 2
    near = requests.get(api(system, "/sites/la-coroutine/near-expiry"), headers=veilleur, timeout=10).json()
    assert lot["id"] in [entry["id"] for entry in near]

    sale = {"site": "la-coroutine", "kind": "shop", "payment_method": "cash",
            "lines": [{"product_id": lot["product_id"], "quantity": 1}]}
    by_fefo = requests.post(api(system, "/sales"), json=sale, headers=veilleur, timeout=10)
    assert by_fefo.status_code == 409 and by_fefo.json()["available"] == 0
    sale["lines"][0]["lot_id"] = lot["id"]
    named = requests.post(api(system, "/sales"), json=sale, headers=veilleur, timeout=10)
    assert named.status_code == 422 and named.json()["lot_id"] == lot["id"]
    assert requests.get(api(system, f"/lots/{lot['id']}"), headers=veilleur, timeout=10).json()["quantity"] == 2
