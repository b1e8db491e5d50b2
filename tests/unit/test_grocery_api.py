"""The grocery HTTP API on SQLite: roles, bad input as problems, the cashier's view, idempotent checkout."""
from __future__ import annotations

import pytest

from services.grocery import create_app, handlers
from tests.conftest import app_for, identity_header

SITE_ID = "22222222-2222-2222-2222-222222222222"
ADMIN = identity_header("admin-1", ("admin", "veilleur"))
VEILLEUR = identity_header("veilleur-1", ("veilleur",))
NEIGHBOUR = identity_header("voisin-1", ("neighbour",))
RULES = {"threshold_cents_per_day": 1200, "access_months": 3, "monthly_caps_cents": [4000, 6000],
         "tier_percentages": {"1": 10, "2": 30}}


@pytest.fixture
def client(sqlite_database, clock):
    """The grocery API, with the test's clock at CLOCK_START: access periods and monthly budgets follow it."""
    db = sqlite_database("grocery")
    with db.transaction() as session:
        handlers.HANDLERS["platform.site.created"](session, {"data": {
            "site_id": SITE_ID, "slug": "mutualab", "name": "Mutualab", "timezone": "Europe/Paris",
            "opening_hours": {}, "version": 1}})
    client = app_for(create_app, "grocery", db).test_client()
    assert client.put("/sites/mutualab/rules", json=RULES, headers=ADMIN).status_code == 200
    return client


def household(client, resources=90000, charges=60000, size=1):
    response = client.post("/households", headers=VEILLEUR, json={
        "site": "mutualab", "referrer_organisation": "CCAS de Lille", "household_size": size,
        "monthly_resources_cents": resources, "fixed_charges_cents": charges})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def stocked_product(client, quantity=10, **fields):
    body = {"site": "mutualab", "name": "Pâtes", "category": "épicerie", "unit": "piece",
            "retail_price_cents": 1000, "tier": "1", **fields}
    created = client.post("/products", headers=ADMIN, json=body)
    assert created.status_code == 201, created.get_json()
    product = created.get_json()
    lot = client.post("/lots", headers=VEILLEUR, json={"product_id": product["id"], "quantity": quantity,
                                                      "source": "purchase"})
    assert lot.status_code == 201, lot.get_json()
    return product


def test_only_admins_set_rules_and_prices(client):
    assert client.put("/sites/mutualab/rules", json=RULES, headers=VEILLEUR).status_code == 403
    body = {"site": "mutualab", "name": "Pâtes", "category": "épicerie", "unit": "piece", "retail_price_cents": 100}
    assert client.post("/products", headers=VEILLEUR, json=body).status_code == 403
    assert client.post("/products", json=body).status_code == 401


def test_rules_refuse_shrinking_caps_and_percentages_over_100(client):
    shrinking = client.put("/sites/mutualab/rules", headers=ADMIN, json={**RULES, "monthly_caps_cents": [5000, 4000]})
    assert shrinking.status_code == 422 and "monthly_caps_cents" in shrinking.get_json()["errors"]
    over = client.put("/sites/mutualab/rules", headers=ADMIN, json={**RULES, "tier_percentages": {"1": 120}})
    assert over.status_code == 422 and "tier_percentages" in over.get_json()["errors"]


def test_a_price_not_in_cents_is_a_problem_saying_what_is_allowed(client):
    response = client.post("/products", headers=ADMIN, json={
        "site": "mutualab", "name": "Pâtes", "category": "épicerie", "unit": "piece", "retail_price_cents": 2.5})
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "whole number of cents" in response.get_json()["errors"]["retail_price_cents"][0]


def test_a_registered_household_is_judged_and_the_till_sees_only_card_date_and_budget(client):
    created = household(client)
    assert created["status"] == "eligible" and created["monthly_cap_cents"] == 4000
    card = client.get(f"/cards/{created['card_number']}", headers=VEILLEUR)
    assert card.status_code == 200
    assert set(card.get_json()) == {"card_number", "eligible_until", "budget_left_cents", "currency"}
    assert card.get_json()["budget_left_cents"] == 4000
    assert client.get(f"/cards/{created['card_number']}", headers=NEIGHBOUR).status_code == 403
    assert client.get("/cards/EPI-NOPE-NOPE", headers=VEILLEUR).status_code == 404


def test_a_household_is_visible_to_its_referrer_and_staff_only(client):
    created = household(client)
    assert client.get(f"/households/{created['id']}", headers=VEILLEUR).status_code == 200
    other = identity_header("someone-else", ("neighbour",))
    assert client.get(f"/households/{created['id']}", headers=other).status_code == 404
    referrer = identity_header("veilleur-1", ("neighbour",))
    assert client.get(f"/households/{created['id']}", headers=referrer).get_json()["status"] == "eligible"


def test_an_ended_household_keeps_its_decisions_loses_its_access_and_can_be_renewed(client):
    import json

    from shared.bus.tables import outbox

    created = household(client)
    assert client.post(f"/households/{created['id']}/end", headers=NEIGHBOUR).status_code == 403
    ended = client.post(f"/households/{created['id']}/end", headers=VEILLEUR)
    assert ended.status_code == 200, ended.get_json()
    body = ended.get_json()
    assert (body["status"], body["eligible_until"], body["monthly_cap_cents"]) == ("ended", None, 0)
    assert [d["action"] for d in body["decisions"]] == ["registered", "ended"]
    card = client.get(f"/cards/{created['card_number']}", headers=VEILLEUR).get_json()
    assert (card["eligible_until"], card["budget_left_cents"]) == (None, 0)
    product = stocked_product(client)
    refused = client.post("/sales", headers=VEILLEUR, json={
        "site": "mutualab", "kind": "solidarity", "card_number": created["card_number"], "payment_method": "cash",
        "lines": [{"product_id": product["id"], "quantity": 1}]})
    assert refused.status_code == 409 and refused.get_json()["type"].endswith("/not-eligible")
    again = client.post(f"/households/{created['id']}/end", headers=VEILLEUR)
    assert again.status_code == 409 and again.get_json()["title"] == "Household already ended"
    assert client.post("/households/nobody/end", headers=VEILLEUR).status_code == 404
    assert client.get("/households?site=mutualab&status=ended", headers=VEILLEUR).get_json()[0]["id"] == created["id"]
    renewed = client.post(f"/households/{created['id']}/renew", headers=VEILLEUR, json={})
    assert renewed.get_json()["status"] == "eligible"
    db = client.application.config["DATABASE"]
    with db.sessions() as session:
        types = [json.loads(row.body)["type"] for row in session.execute(outbox.select()).all()]
    assert types.count("grocery.household.ended") == 1


def test_checkout_over_budget_is_refused_with_the_remaining_cents(client):
    card = household(client)["card_number"]
    product = stocked_product(client, retail_price_cents=10000, tier="2")  # 30.00 a piece at 30 %
    sale = {"site": "mutualab", "kind": "solidarity", "card_number": card, "payment_method": "cash",
            "lines": [{"product_id": product["id"], "quantity": 1}]}
    first = client.post("/sales", headers=VEILLEUR, json=sale)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["budget_left_cents"] == 1000 and first.get_json()["goods_cents"] == 3000
    second = client.post("/sales", headers=VEILLEUR, json=sale)
    assert second.status_code == 409
    assert second.get_json()["remaining_cents"] == 1000


def test_the_same_idempotency_key_sells_once(client):
    product = stocked_product(client, quantity=5, tier=None)
    sale = {"site": "mutualab", "kind": "shop", "payment_method": "card",
            "lines": [{"product_id": product["id"], "quantity": 2}]}
    headers = {**VEILLEUR, "Idempotency-Key": "till-1-42"}
    first = client.post("/sales", headers=headers, json=sale)
    again = client.post("/sales", headers=headers, json=sale)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    stock = client.get(f"/products/{product['id']}/stock", headers=VEILLEUR).get_json()
    assert stock["quantity"] == 3


def test_bad_sale_input_names_the_field(client):
    product = stocked_product(client)
    response = client.post("/sales", headers=VEILLEUR, json={
        "site": "mutualab", "kind": "shop", "payment_method": "bitcoin",
        "lines": [{"product_id": product["id"], "quantity": -1}], "extra": 1})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {"payment_method", "lines", "extra"} <= set(errors)
    fractional = client.post("/sales", headers=VEILLEUR, json={
        "site": "mutualab", "kind": "shop", "payment_method": "cash",
        "lines": [{"product_id": product["id"], "quantity": 0.5}]})
    assert fractional.status_code == 422 and "lines.0.quantity" in fractional.get_json()["errors"]


def test_lot_movements_sum_to_the_lot_and_the_report_comes_as_csv(client):
    product = stocked_product(client, quantity=6)
    lots = client.get("/lots", query_string={"site": "mutualab"}, headers=VEILLEUR).get_json()
    loss = client.post(f"/lots/{lots[0]['id']}/movements", headers=VEILLEUR,
                       json={"kind": "loss", "quantity": 2, "reason": "cassé"})
    assert loss.status_code == 201 and loss.get_json()["quantity"] == -2
    movements = client.get(f"/lots/{lots[0]['id']}/movements", headers=VEILLEUR).get_json()
    assert sum(m["quantity"] for m in movements) == 4
    assert client.get(f"/lots/{lots[0]['id']}", headers=VEILLEUR).get_json()["quantity"] == 4
    report = client.get("/sites/mutualab/reports/2026-11/csv", headers=VEILLEUR)
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert client.get("/sites/mutualab/reports/2026-13", headers=VEILLEUR).status_code == 422
    assert product["id"]


def test_odd_input_is_a_4xx_problem_never_a_500(client):
    product = stocked_product(client, quantity=100_000, tier=None, retail_price_cents=10_000_000)
    huge = client.post("/sales", headers=VEILLEUR, json={
        "site": "mutualab", "kind": "shop", "payment_method": "cash",
        "lines": [{"product_id": product["id"], "quantity": 100_000}]})
    assert huge.status_code == 422 and "lines" in huge.get_json()["errors"]
    no_lot = client.post("/sales", headers=VEILLEUR, json={
        "site": "mutualab", "kind": "shop", "payment_method": "cash",
        "lines": [{"product_id": product["id"], "quantity": 1, "lot_id": "nope"}]})
    assert no_lot.status_code == 422 and "lines.0.lot_id" in no_lot.get_json()["errors"]
    assert client.get("/sites/mutualab/reports/0000-01", headers=VEILLEUR).status_code == 422
    assert client.get("/sites/nowhere/near-expiry", headers=VEILLEUR).status_code == 422
    assert client.post("/sales", headers=VEILLEUR, data="not json",
                       content_type="application/json").status_code == 400
    assert client.get("/products", query_string={"site": "mutual\x00ab"}).status_code == 422
    nul = client.post("/products", headers=ADMIN, json={
        "site": "mutualab", "name": "Pâ\x00tes", "category": "épicerie", "unit": "piece", "retail_price_cents": 1})
    assert nul.status_code == 422 and "name" in nul.get_json()["errors"]


def test_the_monthly_report_is_json_or_csv_and_the_spec_documents_both(client):
    report = client.get("/sites/mutualab/reports/2026-11", headers=VEILLEUR)
    assert report.status_code == 200 and report.get_json()["households_served"] == 0
    spec = client.get("/openapi.json").get_json()
    assert "text/csv" in spec["paths"]["/sites/{site}/reports/{month}/csv"]["get"]["responses"]["200"]["content"]
