"""End to end through the gateway: an AMAP distribution at La Coroutine, from drop-off to the grocery."""
from datetime import date, timedelta

import requests

from shared.bus.tail import Tap
from tests.support.platform_time import days_ahead

VEILLEUR, VOISIN, ASSO, ADMIN = ("veilleur@coroutine.test", "voisin@coroutine.test", "asso@coroutine.test",
                                 "admin@coroutine.test")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def api(system, method, path, email=None, **kwargs):
    headers = system.auth(email) if email else {}
    return requests.request(method, system.url(f"/api/relay{path}"), headers=headers, timeout=15, **kwargs)


def create_contract(system, season_start: date, weeks: int, name: str, **extra) -> dict:
    producer = api(system, "POST", "/producers", VEILLEUR, json={
        "name": "Ferme du Pévèle", "contact": "03 20 00 00 00", "produce": "légumes, œufs"})
    assert producer.status_code == 201, producer.text
    contract = api(system, "POST", "/contracts", VEILLEUR, json={
        "producer_id": producer.json()["id"], "site": "la-coroutine", "name": name,
        "weekday": WEEKDAYS[season_start.weekday()], "window_opens": "18:00", "window_closes": "20:00",
        "season_start": season_start.isoformat(),
        "season_end": (season_start + timedelta(weeks=weeks - 1)).isoformat(),
        "basket_kinds": [{"name": "small", "description": "Petit panier", "price_cents": 1200,
                          "solidarity_price_cents": 600},
                         {"name": "large", "description": "Grand panier de légumes", "price_cents": 2000}],
        "absence_allowance": 2, **extra})
    assert contract.status_code == 201, contract.text
    return contract.json()


def test_a_distribution_from_drop_off_to_unclaimed_baskets_for_the_grocery(system):
    tap = Tap(system.amqp_url, ["relay.#"])
    try:
        coroutine = next(s for s in requests.get(system.url("/api/sites"), timeout=10).json()
                         if s["slug"] == "la-coroutine")
        contract = create_contract(system, days_ahead(8), 4, "Légumes de saison")
        assert contract["site_id"] == coroutine["id"]
        distributions = api(system, "GET", f"/distributions?contract={contract['id']}").json()
        assert len(distributions) == 4
        first = distributions[0]

        # Two neighbours subscribe (one a solidarity share); a third share is held by someone who won't come.
        voisin = api(system, "POST", f"/contracts/{contract['id']}/subscriptions", VOISIN,
                     json={"basket_kind": "small", "display_name": "Sam"})
        assert voisin.status_code == 201, voisin.text
        asso = api(system, "POST", f"/contracts/{contract['id']}/subscriptions", ASSO,
                   json={"basket_kind": "small", "solidarity": True, "display_name": "Dominique"})
        assert asso.status_code == 201 and asso.json()["unit_price_cents"] == 600
        absent_minded = api(system, "POST", f"/contracts/{contract['id']}/subscriptions", ADMIN,
                            json={"basket_kind": "large", "quantity": 2})
        assert absent_minded.status_code == 201

        # Each subscriber sees their own baskets and pickup codes.
        # (the demo data and other tests subscribe the same people elsewhere: look at this contract)
        voisin_baskets = api(system, "GET", f"/baskets?mine=true&contract={contract['id']}", VOISIN).json()
        assert len(voisin_baskets) == 4
        voisin_basket = next(b for b in voisin_baskets if b["distribution_id"] == first["id"])
        asso_basket = next(b for b in api(system, "GET", f"/baskets?mine=true&contract={contract['id']}", ASSO).json()
                           if b["distribution_id"] == first["id"])
        assert voisin_basket["pickup_code"] != asso_basket["pickup_code"]

        # The producer drops off one large basket short.
        delivery = api(system, "POST", f"/distributions/{first['id']}/delivery", VEILLEUR,
                       json={"arrived": {"small": 2, "large": 1}})
        assert delivery.status_code == 201, delivery.text
        assert delivery.json()["shortfall"] == 1

        # Sam shows their code; Dominique gives a one-off code to a friend, who collects with it.
        by_code = api(system, "POST", f"/distributions/{first['id']}/collections", VEILLEUR,
                      json={"code": voisin_basket["pickup_code"]})
        assert by_code.status_code == 201, by_code.text
        again = api(system, "POST", f"/distributions/{first['id']}/collections", VEILLEUR,
                    json={"code": voisin_basket["pickup_code"]})
        assert again.status_code == 409
        assert again.headers["Content-Type"].startswith("application/problem+json")
        proxy = api(system, "POST", f"/baskets/{asso_basket['id']}/proxy", ASSO, json={})
        assert proxy.status_code == 201, proxy.text
        by_proxy = api(system, "POST", f"/distributions/{first['id']}/collections", VEILLEUR,
                       json={"code": proxy.json()["proxy_code"]})
        assert by_proxy.status_code == 201 and by_proxy.json()["id"] == asso_basket["id"]

        sheet = api(system, "GET", f"/distributions/{first['id']}/sheet.csv", VEILLEUR)
        assert sheet.status_code == 200 and "Sam" in sheet.text and voisin_basket["pickup_code"] not in sheet.text

        # Closing: what is left goes to the social grocery.
        closed = api(system, "POST", f"/distributions/{first['id']}/close", VEILLEUR)
        assert closed.status_code == 200, closed.text
        assert closed.json()["baskets"]["unclaimed"] == 1

        unclaimed = tap.wait_for(lambda e: e["type"] == "relay.basket.unclaimed"
                                 and e["data"]["distribution_id"] == first["id"])
        assert len(unclaimed) == 1
        assert unclaimed[0]["data"] == {
            "basket_id": unclaimed[0]["subject"], "distribution_id": first["id"], "site_id": coroutine["id"],
            "distribution_date": first["date"], "producer_id": contract["producer_id"], "basket_kind": "large",
            "category": "vegetables", "quantity": 1}
        expected_types = {"relay.contract.created", "relay.distribution.scheduled", "relay.delivery.received",
                          "relay.basket.ready", "relay.basket.collected", "relay.basket.unclaimed",
                          "relay.distribution.closed"}
        tap.wait_for(lambda e: e["type"] == "relay.distribution.closed" and e["subject"] == first["id"])
        seen = {e["type"] for e in tap.events()}
        assert expected_types <= seen
        assert len(tap.events("relay.distribution.scheduled")) >= 4
        assert len(tap.events("relay.basket.collected")) == 2
        everything = str([e for e in tap.events()])
        assert "Sam" not in everything and "Dominique" not in everything and "03 20 00" not in everything
    finally:
        tap.close()


def test_moves_cancellations_absences_and_the_clock_reach_the_bus(system):
    tap = Tap(system.amqp_url, ["relay.#"])
    try:
        contract = create_contract(system, days_ahead(10), 3, "Œufs")
        first, second, third = api(system, "GET", f"/distributions?contract={contract['id']}").json()
        api(system, "POST", f"/contracts/{contract['id']}/subscriptions", VOISIN, json={"basket_kind": "small"})
        basket = next(b for b in api(system, "GET", "/baskets?mine=true", VOISIN).json()
                      if b["distribution_id"] == first["id"])
        absent = api(system, "POST", f"/baskets/{basket['id']}/absence", VOISIN)
        assert absent.status_code == 201 and absent.json()["status"] == "absent"
        delivery = api(system, "GET", f"/distributions/{first['id']}/delivery", VEILLEUR).json()
        assert {k["basket_kind"]: k["expected"] for k in delivery["kinds"]}["small"] == 0
        moved = api(system, "POST", f"/distributions/{second['id']}/move", VEILLEUR, json={"window_opens": "17:00"})
        assert moved.status_code == 200, moved.text
        assert api(system, "POST", f"/distributions/{third['id']}/cancel", VEILLEUR).status_code == 200

        # A season already begun: its past distribution is closed by the worker's clock; one starting
        # within 48 hours with nobody on the roster is published as unstaffed.
        past = create_contract(system, days_ahead(-7), 1, "Saison passée")
        # Tomorrow 18:00 is 18 to 42 hours away at any time of today: within the 48 hours, never past.
        soon = create_contract(system, days_ahead(1), 1, "Demain")
        past_distribution = api(system, "GET", f"/distributions?contract={past['id']}").json()[0]
        soon_distribution = api(system, "GET", f"/distributions?contract={soon['id']}").json()[0]

        assert tap.wait_for(lambda e: e["type"] == "relay.distribution.moved" and e["subject"] == second["id"])
        assert tap.wait_for(lambda e: e["type"] == "relay.distribution.cancelled" and e["subject"] == third["id"])
        assert tap.wait_for(lambda e: e["type"] == "relay.distribution.closed"
                            and e["subject"] == past_distribution["id"], timeout=90)
        unstaffed = tap.wait_for(lambda e: e["type"] == "relay.distribution.unstaffed"
                                 and e["subject"] == soon_distribution["id"], timeout=90)
        assert unstaffed and unstaffed[0]["data"]["openers"] == 0
        assert api(system, "GET", f"/distributions/{past_distribution['id']}").json()["status"] == "closed"
    finally:
        tap.close()
