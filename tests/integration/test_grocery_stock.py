"""Grocery on the real PostgreSQL and RabbitMQ: concurrent sales, double clicks, baskets from the relay."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from services.grocery import create_app, handlers, service
from services.grocery.models import Lot, Movement, Sale
from services.grocery.worker import QUEUES
from shared.bus.consumer import Consumer
from shared.bus.tables import inbox
from shared.events import encode, new_event
from tests.conftest import app_for, identity_header
from tests.support.bus import Running, publish_raw, queue_exists, wait_until

SITE_ID = "33333333-3333-3333-3333-333333333333"
VEILLEUR = identity_header("veilleur-1", ("veilleur",))
THREADS = 12
# Access periods and monthly budgets are counted from today: every test runs on the test's clock.
pytestmark = pytest.mark.usefixtures("clock")


def prepared(pg_database):
    db = pg_database("grocery")
    with db.transaction() as session:
        handlers.HANDLERS["platform.site.created"](session, {"data": {
            "site_id": SITE_ID, "slug": "la-coroutine", "name": "La Coroutine", "timezone": "Europe/Paris",
            "opening_hours": {}, "version": 1}})
        service.set_rules(session, SITE_ID, "admin-1", 1500, 3, [5000, 8000], {"1": 10, "2": 50})
    return db


def at_once(worker, count=THREADS):
    """Run `worker(i)` in `count` threads released together; returns results or exceptions by index."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        barrier.wait()
        try:
            results[index] = worker(index)
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_concurrent_sales_of_the_last_units_never_drive_stock_below_zero(pg_database):
    db = prepared(pg_database)
    with db.transaction() as session:
        product = service.create_product(session, SITE_ID, "Huile", "épicerie", "piece", 500, None)
        first = service.receive_lot(session, product.id, 3, "purchase", "v", "dlc", date(2099, 1, 1))
        second = service.receive_lot(session, product.id, 2, "purchase", "v", "dlc", date(2099, 6, 1))

    def buy_one(_index):
        with db.transaction() as session:
            return service.sell(session, SITE_ID, "shop", [{"product_id": product.id, "quantity": 1}],
                                "cash", "veilleur-1")[0].id

    results = at_once(buy_one)
    sold = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(sold) == 5
    assert len(refused) == THREADS - 5
    assert all(getattr(r, "status", None) == 409 for r in refused), refused
    with db.transaction() as session:
        assert session.get(Lot, first.id).quantity == 0 and session.get(Lot, second.id).quantity == 0
        assert session.scalar(select(func.sum(Movement.quantity)).where(Movement.product_id == product.id)) == 0
        assert session.scalar(select(func.count(Sale.id))) == 5


def test_concurrent_solidarity_sales_never_pass_the_monthly_cap(pg_database):
    db = prepared(pg_database)
    with db.transaction() as session:
        household = service.register_household(session, SITE_ID, "v", "CCAS", 1, 60000, 30000)  # cap 50.00
        product = service.create_product(session, SITE_ID, "Café", "épicerie", "piece", 2000, "2")  # 10.00
        service.receive_lot(session, product.id, 100, "purchase", "v")

    def buy(_index):
        with db.transaction() as session:
            return service.sell(session, SITE_ID, "solidarity", [{"product_id": product.id, "quantity": 1}],
                                "cash", "veilleur-1", card_number=household.card_number)[0].id

    results = at_once(buy)
    assert len([r for r in results if isinstance(r, str)]) == 5
    refusals = [r for r in results if not isinstance(r, str)]
    assert all(r.slug == "over-monthly-budget" for r in refusals), refusals
    with db.transaction() as session:
        assert session.scalar(select(func.sum(Sale.goods_cents))) == 5000


def test_a_double_click_with_one_idempotency_key_sells_once_on_postgresql(pg_database):
    db = prepared(pg_database)
    with db.transaction() as session:
        product = service.create_product(session, SITE_ID, "Miel", "local", "piece", 800, None, local=True)
        service.receive_lot(session, product.id, 10, "purchase", "v")
    app = app_for(create_app, "grocery", db)
    body = {"site": "la-coroutine", "kind": "shop", "payment_method": "cash",
            "lines": [{"product_id": product.id, "quantity": 2}]}

    def click(_index):
        response = app.test_client().post("/sales", json=body, headers={**VEILLEUR, "Idempotency-Key": "k-1"})
        return response.status_code, response.get_json()["id"]

    results = at_once(click, 6)
    assert sorted(status for status, _ in results) == [200] * 5 + [201]
    assert len({sale_id for _, sale_id in results}) == 1
    with db.transaction() as session:
        assert session.scalar(select(func.count(Sale.id))) == 1
        assert service.product_stock(session, product.id) == 8


def basket_unclaimed(basket_id: str) -> dict:
    return new_event("relay.basket.unclaimed", "/veilleuse/relay", {
        "basket_id": basket_id, "distribution_id": "distribution-7", "site_id": SITE_ID,
        "distribution_date": "2026-11-19", "producer_id": "producer-7", "basket_kind": "grand",
        "category": "vegetables", "quantity": 1})


def test_an_unclaimed_basket_on_the_bus_becomes_a_donated_lot_and_redelivery_changes_nothing(
        pg_database, amqp_url):
    db = prepared(pg_database)
    queue = "grocery.donations"
    consumer = Consumer(db, amqp_url, "veilleuse.events", "veilleuse.dlx", queue, QUEUES[queue], prefetch=10)
    event = basket_unclaimed("basket-42")
    same_basket_new_event = basket_unclaimed("basket-42")

    def lots():
        with db.transaction() as session:
            return session.scalars(select(Lot)).all()

    def inbox_count():
        with db.transaction() as session:
            return session.scalar(select(func.count()).select_from(inbox).where(inbox.c.consumer == queue))

    with Running(consumer):
        assert wait_until(lambda: queue_exists(amqp_url, queue))
        publish_raw(amqp_url, "relay.basket.unclaimed", encode(event), message_id=event["id"])
        assert wait_until(lambda: len(lots()) == 1)
        publish_raw(amqp_url, "relay.basket.unclaimed", encode(event), message_id=event["id"])
        publish_raw(amqp_url, "relay.basket.unclaimed", encode(same_basket_new_event))
        assert wait_until(lambda: inbox_count() == 2)
    found = lots()
    assert len(found) == 1
    assert found[0].basket_id == "basket-42" and found[0].quantity == 1
    assert (found[0].expiry_date, found[0].expiry_kind, found[0].source) == (date(2026, 11, 21), "dlc", "donation")
    with db.transaction() as session:
        assert session.scalar(select(func.count(Movement.id))) == 1


def test_an_erased_referrer_account_is_forgotten_from_the_bus(pg_database, amqp_url):
    db = prepared(pg_database)
    with db.transaction() as session:
        household = service.register_household(session, SITE_ID, "account-to-erase", "CCAS", 1, 60000, 30000)
    queue = "grocery.identity"
    consumer = Consumer(db, amqp_url, "veilleuse.events", "veilleuse.dlx", queue, QUEUES[queue], prefetch=10)
    event = new_event("identity.account.erased", "/veilleuse/gateway", {"account_id": "account-to-erase"})

    def referrer():
        with db.transaction() as session:
            return service.get_household(session, household.id).referrer_account_id

    with Running(consumer):
        assert wait_until(lambda: queue_exists(amqp_url, queue))
        publish_raw(amqp_url, "identity.account.erased", encode(event), message_id=event["id"])
        assert wait_until(lambda: referrer() is None)
    with db.transaction() as session:
        found = service.get_household(session, household.id)
        assert found.decided_by is None and found.status == "eligible"


