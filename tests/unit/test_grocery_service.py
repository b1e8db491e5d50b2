"""Grocery use cases on SQLite: eligibility, stock, FEFO, checkout rules, donations from the relay."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.grocery import handlers, service
from services.grocery.models import Household, Lot, Movement, Sale
from shared.bus.tables import outbox
from shared.problems import Problem
from tests.conftest import PARIS

SITE_ID = "11111111-1111-1111-1111-111111111111"
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=timezone.utc)
RULES = {"threshold_cents_per_day": 1200, "access_months": 3,
         "monthly_caps_cents": [4000, 6000, 8000, 10000], "tier_percentages": {"1": 10, "2": 20, "3": 30}}


@pytest.fixture
def db(sqlite_database, clock):
    # Use cases are given now=NOW; the clock is there too for what they time-stamp on their own.
    clock.move_to(NOW)
    database = sqlite_database("grocery")
    with database.transaction() as session:
        handlers.HANDLERS["platform.site.created"](session, {"data": {
            "site_id": SITE_ID, "slug": "la-coroutine", "name": "La Coroutine", "timezone": "Europe/Paris",
            "opening_hours": {}, "version": 1}})
        service.set_rules(session, "la-coroutine", "admin-1", **RULES, now=NOW)
    return database


def events_of(db, type_):
    with db.transaction() as session:
        rows = session.execute(select(outbox.c.body).where(outbox.c.type == type_)).all()
    return [json.loads(row.body) for row in rows]


def register(db, size=2, resources=120000, charges=60000):
    with db.transaction() as session:
        return service.register_household(session, "la-coroutine", "veilleur-1", "CCAS de Lille", size,
                                          resources, charges, now=NOW)


def product(db, name="Riz", price=300, tier="1", unit="piece", **kwargs):
    with db.transaction() as session:
        return service.create_product(session, "la-coroutine", name, "épicerie", unit, price, tier, now=NOW,
                                      **kwargs)


def lot(db, product_id, quantity, expiry=None, kind="none", source="purchase", now=NOW, **kwargs):
    with db.transaction() as session:
        return service.receive_lot(session, product_id, quantity, source, "veilleur-1", kind, expiry,
                                   now=now, **kwargs)


def sell(db, lines, kind="solidarity", card=None, now=NOW, **kwargs):
    with db.transaction() as session:
        sale, _ = service.sell(session, "la-coroutine", kind, lines, "cash", "veilleur-1", card_number=card,
                               now=now, **kwargs)
        return sale


def lot_quantity(db, lot_id):
    with db.transaction() as session:
        return session.get(Lot, lot_id).quantity


def test_reste_a_vivre_is_resources_minus_charges_per_person_per_day():
    assert service.reste_a_vivre(120000, 60000, 2) == 1000
    assert service.reste_a_vivre(50000, 80000, 1) == -1000


def test_a_household_under_the_threshold_is_eligible_for_the_access_period_with_the_cap_of_its_size(db):
    household = register(db, size=2, resources=120000, charges=60000)
    assert household.status == "eligible"
    assert household.reste_a_vivre_cents_per_day == 1000
    assert household.eligible_until == date(2027, 2, 10)
    assert household.monthly_cap_cents == 6000
    assert household.card_number.startswith("EPI-")
    assert household.decisions[0].decided_by == "veilleur-1" and household.decisions[0].outcome == "eligible"
    event = events_of(db, "grocery.household.registered")[0]
    assert event["data"]["status"] == "eligible" and event["data"]["monthly_cap_cents"] == 6000
    assert "resources" not in json.dumps(event) and "CCAS" not in json.dumps(event)


def test_a_household_at_or_above_the_threshold_is_not_eligible(db):
    household = register(db, size=1, resources=96000, charges=60000)  # 1200 cents a day: not under
    assert household.status == "ineligible" and household.eligible_until is None
    assert household.monthly_cap_cents == 0


def test_the_biggest_cap_covers_bigger_households(db):
    assert register(db, size=7, resources=100000, charges=0).monthly_cap_cents == 10000


def test_renewing_before_the_end_extends_the_period_and_keeps_each_decision(db):
    household = register(db)
    with db.transaction() as session:
        renewed = service.renew_household(session, household.id, "veilleur-2", {"household_size": 3},
                                          now=NOW + timedelta(days=60))
        assert renewed.eligible_until == date(2027, 5, 10)
        assert renewed.monthly_cap_cents == 8000
        assert [d.action for d in renewed.decisions] == ["registered", "renewed"]
        assert renewed.decisions[-1].decided_by == "veilleur-2"
    assert len(events_of(db, "grocery.household.renewed")) == 1


def test_the_daily_check_expires_ended_periods_once(db):
    household = register(db)
    later = NOW + timedelta(days=100)
    with db.transaction() as session:
        assert service.daily_check(session, "la-coroutine", now=later)["expired_households"] == 1
    with db.transaction() as session:
        assert service.daily_check(session, "la-coroutine", now=later)["expired_households"] == 0
        assert session.get(Household, household.id).status == "expired"
    assert [e["data"]["household_id"] for e in events_of(db, "grocery.household.expired")] == [household.id]


def test_the_cashier_view_shows_only_card_eligibility_and_budget_left(db):
    household = register(db)
    rice = product(db, price=1000)
    lot(db, rice.id, 10)
    sell(db, [{"product_id": rice.id, "quantity": 5}], card=household.card_number)  # 10 % of 50.00 = 5.00
    with db.transaction() as session:
        view = service.cashier_view(session, household.card_number.lower(), now=NOW)
    assert view == {"card_number": household.card_number, "eligible_until": date(2027, 2, 10),
                    "budget_left_cents": 5500, "currency": "EUR"}


def test_a_solidarity_sale_charges_the_tier_percentage_and_takes_the_earliest_lot_first(db):
    household = register(db)
    milk = product(db, "Lait", 120, "2")
    late = lot(db, milk.id, 5, date(2026, 11, 30), "dlc")
    early = lot(db, milk.id, 3, date(2026, 11, 15), "dlc")
    sale = sell(db, [{"product_id": milk.id, "quantity": 4}], card=household.card_number)
    assert sale.goods_cents == 96  # 4 x 1.20 at 20 %
    assert [entry["lot_id"] for entry in sale.lines[0].lots] == [early.id, late.id]
    assert lot_quantity(db, early.id) == 0 and lot_quantity(db, late.id) == 4
    event = events_of(db, "grocery.sale.completed")[0]
    assert household.id not in json.dumps(event) and household.card_number not in json.dumps(event)
    assert event["data"]["lines"][0]["amount_cents"] == 96


def test_a_dlc_lot_past_its_date_is_never_sold_and_a_ddm_one_is_sold_flagged(db):
    jam = product(db, "Confiture", 250, tier=None)
    old = lot(db, jam.id, 2, date(2026, 11, 12), "dlc")
    later = NOW + timedelta(days=5)
    with pytest.raises(Problem) as refused:
        sell(db, [{"product_id": jam.id, "quantity": 1}], kind="shop", now=later)
    assert refused.value.status == 409 and refused.value.extra["available"] == 0
    with pytest.raises(Problem) as named:
        sell(db, [{"product_id": jam.id, "quantity": 1, "lot_id": old.id}], kind="shop", now=later)
    assert named.value.status == 422 and named.value.slug == "expired-lot"
    assert lot_quantity(db, old.id) == 2
    lot(db, jam.id, 1, date(2026, 11, 12), "ddm")
    sale = sell(db, [{"product_id": jam.id, "quantity": 1}], kind="shop", now=later)
    assert sale.goods_cents == 250 and sale.lines[0].lots[0]["best_before_passed"] is True


def test_a_sale_over_the_monthly_budget_is_refused_with_what_remains(db):
    household = register(db, size=1, resources=50000, charges=30000)  # cap 40.00
    oil = product(db, "Huile", 10000, "3")  # 30.00 at 30 %
    lot(db, oil.id, 5)
    sell(db, [{"product_id": oil.id, "quantity": 1}], card=household.card_number)
    with pytest.raises(Problem) as refused:
        sell(db, [{"product_id": oil.id, "quantity": 1}], card=household.card_number)
    assert refused.value.status == 409 and refused.value.extra["remaining_cents"] == 1000
    assert refused.value.extra["requested_cents"] == 3000
    with db.transaction() as session:
        assert session.scalar(select(func.count(Sale.id))) == 1
    # A new month, a new budget.
    sell(db, [{"product_id": oil.id, "quantity": 1}], card=household.card_number, now=NOW + timedelta(days=25))


def test_a_product_limit_per_household_and_month_is_enforced(db):
    household = register(db)
    coffee = product(db, "Café", 400, "1", monthly_limit=2)
    lot(db, coffee.id, 10)
    sell(db, [{"product_id": coffee.id, "quantity": 1}], card=household.card_number)
    with pytest.raises(Problem) as refused:
        sell(db, [{"product_id": coffee.id, "quantity": 1}, {"product_id": coffee.id, "quantity": 1}],
             card=household.card_number)
    assert refused.value.slug == "over-product-limit" and refused.value.extra["remaining_quantity"] == 1


def test_an_expired_or_unknown_card_cannot_buy(db):
    household = register(db)
    rice = product(db)
    lot(db, rice.id, 10)
    with pytest.raises(Problem) as expired:
        sell(db, [{"product_id": rice.id, "quantity": 1}], card=household.card_number,
             now=NOW + timedelta(days=120))
    assert expired.value.slug == "not-eligible" and expired.value.extra["eligible_until"] == "2027-02-10"
    with pytest.raises(Problem) as unknown:
        sell(db, [{"product_id": rice.id, "quantity": 1}], card="EPI-0000-0000")
    assert unknown.value.status == 404 and unknown.value.slug == "unknown-card"


def test_pieces_are_whole_and_kilograms_allow_grams(db):
    apples = product(db, "Pommes", 250, tier=None, unit="kg", local=True)
    rice = product(db, tier=None)
    lot(db, apples.id, "10.5")
    lot(db, rice.id, 3)
    sale = sell(db, [{"product_id": apples.id, "quantity": "1.25"}], kind="shop")
    assert sale.goods_cents == 313  # 1.25 kg x 2.50 rounded half up
    with pytest.raises(Problem) as fractional:
        sell(db, [{"product_id": rice.id, "quantity": "1.5"}], kind="shop")
    assert fractional.value.status == 422 and "whole number" in fractional.value.detail


def test_a_shop_sale_charges_the_deposit_and_deposit_returns_pay_back(db):
    juice = product(db, "Jus de pomme", 350, tier=None, local=True, deposit_cents=20)
    lot(db, juice.id, 10)
    sale = sell(db, [{"product_id": juice.id, "quantity": 2}], kind="shop",
                deposit_returns=[{"product_id": juice.id, "quantity": 3}])
    assert (sale.goods_cents, sale.deposit_cents, sale.deposit_returned_cents) == (700, 40, 60)
    assert sale.amount_due_cents == 680


def test_an_idempotency_key_sells_once(db):
    rice = product(db, tier=None)
    lot(db, rice.id, 10)
    lines = [{"product_id": rice.id, "quantity": 2}]
    first = sell(db, lines, kind="shop", idempotency_key="click-1")
    with db.transaction() as session:
        again, created = service.sell(session, "la-coroutine", "shop", lines, "cash", "veilleur-1",
                                      idempotency_key="click-1", now=NOW)
        assert not created and again.id == first.id
        with pytest.raises(Problem) as reused:
            service.sell(session, "la-coroutine", "shop", [{"product_id": rice.id, "quantity": 3}], "cash",
                         "veilleur-1", idempotency_key="click-1", now=NOW)
        assert reused.value.slug == "idempotency-key-reused"
    with db.transaction() as session:
        assert session.scalar(select(func.sum(Lot.quantity))) == 8


def test_stock_is_the_sum_of_movements_and_write_offs_cannot_go_below_zero(db):
    rice = product(db, tier=None, low_stock_threshold=5)
    first = lot(db, rice.id, 8)
    with db.transaction() as session:
        service.record_stock_change(session, first.id, "loss", "veilleur-1", quantity=2, reason="sac percé", now=NOW)
        service.record_stock_change(session, first.id, "inventory_correction", "veilleur-1", counted=4, now=NOW)
        with pytest.raises(Problem) as too_much:
            service.record_stock_change(session, first.id, "expiry_write_off", "veilleur-1", quantity=5, now=NOW)
        assert too_much.value.status == 409
    with db.transaction() as session:
        total = session.scalar(select(func.sum(Movement.quantity)).where(Movement.lot_id == first.id))
        assert total == session.get(Lot, first.id).quantity == 4
    low = events_of(db, "grocery.stock.low")
    assert len(low) == 1 and low[0]["data"]["quantity"] == 4 and low[0]["data"]["threshold"] == 5


def test_a_donation_needs_its_donor_and_a_dlc_lot_its_future_date(db):
    rice = product(db)
    with pytest.raises(Problem) as donor:
        lot(db, rice.id, 1, source="donation")
    assert donor.value.errors == {"donor": ["a donation records its donor"]}
    with pytest.raises(Problem) as past:
        lot(db, rice.id, 1, date(2026, 11, 1), "dlc")
    assert "expiry_date" in past.value.errors


def test_near_expiry_lists_lots_within_days_and_the_daily_check_announces_each_once(db):
    rice = product(db)
    soon = lot(db, rice.id, 2, date(2026, 11, 11), "dlc")
    lot(db, rice.id, 2, date(2026, 12, 30), "dlc")
    with db.transaction() as session:
        listed = service.near_expiry(session, "la-coroutine", 3, now=NOW)
        assert [entry["id"] for entry in listed] == [soon.id]
        assert service.daily_check(session, "la-coroutine", 2, now=NOW)["expiring_lots"] == 1
    with db.transaction() as session:
        assert service.daily_check(session, "la-coroutine", 2, now=NOW)["expiring_lots"] == 0
    assert [e["data"]["lot_id"] for e in events_of(db, "grocery.lot.expiring")] == [soon.id]


def basket_event(basket_id="basket-1", event_id="event-1"):
    return {"id": event_id, "type": "relay.basket.unclaimed", "data": {
        "basket_id": basket_id, "distribution_id": "distribution-1", "site_id": SITE_ID,
        "distribution_date": "2026-11-12", "producer_id": "producer-1", "basket_kind": "small",
        "category": "eggs", "quantity": 1}}


def test_an_unclaimed_basket_becomes_one_donated_dlc_lot_even_if_applied_twice(db):
    with db.transaction() as session:
        handlers.on_basket_unclaimed(session, basket_event())
    with db.transaction() as session:
        handlers.on_basket_unclaimed(session, basket_event(event_id="event-2"))
    with db.transaction() as session:
        lots = session.scalars(select(Lot)).all()
        assert len(lots) == 1
        assert (lots[0].expiry_date, lots[0].expiry_kind, lots[0].source) == (date(2026, 11, 14), "dlc", "donation")
        assert lots[0].donor == "AMAP" and lots[0].quantity == 1 and lots[0].note == ""
        assert lots[0].product.external_key == "amap-basket:eggs"
        assert lots[0].product.name == "Œufs de l'AMAP"


def test_an_erased_account_is_no_longer_named_anywhere(db):
    household = register(db)
    with db.transaction() as session:
        handlers.on_account_erased(session, {"data": {"account_id": "veilleur-1"}})
    with db.transaction() as session:
        found = session.get(Household, household.id)
        assert found.referrer_account_id is None and found.decided_by is None
        assert all(decision.decided_by is None for decision in found.decisions)


def test_the_monthly_report_sums_sales_donations_households_and_write_offs(db):
    household = register(db)
    rice = product(db, price=1000)
    first = lot(db, rice.id, 10, source="donation", donor="Banque alimentaire")
    sell(db, [{"product_id": rice.id, "quantity": 2}], card=household.card_number)
    sell(db, [{"product_id": rice.id, "quantity": 1}], kind="shop")
    with db.transaction() as session:
        service.record_stock_change(session, first.id, "loss", None, quantity=1, now=NOW)
    with db.transaction() as session:
        report = service.monthly_report(session, "la-coroutine", "2026-11")
    assert report["solidarity_sales"]["count"] == 1 and report["solidarity_sales"]["goods_cents"] == 200
    assert report["shop_sales"]["goods_cents"] == 1000
    assert report["households_served"] == 1
    assert report["donations"][0]["quantity"] == 10
    assert report["write_offs"][0]["kind"] == "loss" and report["write_offs"][0]["retail_value_cents"] == 1000
    csv_text = service.report_csv(report)
    assert csv_text.splitlines()[0] == "section,item,unit,quantity,count,cents"
    assert "households_served,households,,,1," in csv_text


def test_a_sale_just_after_midnight_on_the_first_counts_in_the_new_month_of_the_site(db):
    household = register(db, size=1, resources=50000, charges=30000)  # cap 40.00
    oil = product(db, "Huile", 10000, "3")  # 30.00 at 30 %
    lot(db, oil.id, 5)
    last_evening = datetime(2026, 11, 30, 23, 30, tzinfo=PARIS)
    sell(db, [{"product_id": oil.id, "quantity": 1}], card=household.card_number, now=last_evening)
    first_night = datetime(2026, 12, 1, 0, 30, tzinfo=PARIS)  # still 30 November in UTC
    sale = sell(db, [{"product_id": oil.id, "quantity": 1}], card=household.card_number, now=first_night)
    assert sale.month == "2026-12"
    with db.transaction() as session:
        assert service.cashier_view(session, household.card_number, now=first_night)["budget_left_cents"] == 1000
        assert service.monthly_report(session, "la-coroutine", "2026-11")["solidarity_sales"]["count"] == 1
        assert service.monthly_report(session, "la-coroutine", "2026-12")["solidarity_sales"]["count"] == 1


def test_the_demo_data_sets_rules_and_stock_once(db):
    from services.grocery.demo import DEMO_PRODUCTS, seed_grocery
    from services.grocery.models import Product

    seed_grocery(db)
    seed_grocery(db)
    with db.transaction() as session:
        assert session.scalar(select(func.count(Product.id))) == len(DEMO_PRODUCTS)
        assert service.get_rules(session, "la-coroutine").tier_percentages == {"1": 10, "2": 20, "3": 30}


def test_the_worker_daily_check_covers_every_site(db, clock):
    from services.grocery.worker import QUEUES, run_daily_checks

    rice = product(db)
    lot(db, rice.id, 1, clock.today() + timedelta(days=1), "dlc", now=clock.now())
    assert run_daily_checks(db) == 1
    assert len(events_of(db, "grocery.lot.expiring")) == 1
    assert set(QUEUES) == {"grocery.sites", "grocery.donations", "grocery.identity"}
    assert "relay.basket.unclaimed" in QUEUES["grocery.donations"]
