"""The relay on the real PostgreSQL: concurrent collections and shares, and forgetting an erased account."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from services.relay import create_app, service
from services.relay.handlers import HANDLERS
from services.relay.models import Basket, RosterEntry, Site, Subscription
from services.relay.worker import QUEUES
from shared.bus.consumer import Consumer
from shared.bus.tables import outbox
from shared.events import encode, new_event
from tests.conftest import Clock, app_for, identity_header

VEILLEURS = [identity_header(f"veilleur-{i}", roles=("veilleur",)) for i in range(2)]
# Seasons and distributions are dated from today: every test runs on the test's clock.
pytestmark = pytest.mark.usefixtures("clock")


def seed(db, subscribers=("voisin-1", "asso-1"), max_shares=None):
    start = Clock.today() + timedelta(days=14)
    with db.transaction() as session:
        session.add(Site(id="site-1", slug="la-coroutine", name="La Coroutine", timezone="Europe/Paris",
                         opening_hours={}, version=1))
        session.flush()
        producer = service.create_producer(session, "Ferme du Pévèle")
        contract = service.create_contract(
            session, producer.id, "la-coroutine", "Légumes", WEEKDAY[start.weekday()], "18:00", "20:00",
            start, start + timedelta(weeks=2), [{"name": "small", "price_cents": 1200}], max_shares=max_shares)
        for account in subscribers:
            service.subscribe(session, contract.id, account, "small", display_name=account)
        first = service.list_distributions(session, contract.id)[0]
    return contract.id, first.id


WEEKDAY = service.WEEKDAYS


def race(*calls):
    """Run each call in its own thread, all released at the same moment; return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_volunteers_ticking_the_same_basket_at_once_give_one_collection_and_one_409(pg_database):
    db = pg_database("relay")
    _contract_id, distribution_id = seed(db, subscribers=[f"voisin-{i}" for i in range(10)])
    app = app_for(create_app, "relay", db)
    with db.transaction() as session:
        codes = [b.pickup_code for b in service.distribution_baskets(session, distribution_id)]
    for code in codes:
        clients = [app.test_client(), app.test_client()]
        responses = race(*[lambda c=c, h=h: c.post(f"/distributions/{distribution_id}/collections",
                                                   headers=h, json={"code": code})
                           for c, h in zip(clients, VEILLEURS)])
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409], [r.json for r in responses]
        refused = next(r for r in responses if r.status_code == 409)
        assert refused.content_type == "application/problem+json"
        assert refused.json["title"] == "Basket already collected"
    with db.sessions() as session:
        collected = session.scalar(select(func.count()).select_from(Basket).where(
            Basket.distribution_id == distribution_id, Basket.status == "collected"))
        assert collected == len(codes)


def test_the_database_alone_refuses_a_second_collection_even_without_the_distribution_lock(pg_database, monkeypatch):
    db = pg_database("relay")
    _contract_id, distribution_id = seed(db, subscribers=[f"voisin-{i}" for i in range(8)])
    real_get = service.get_distribution
    # Both volunteers read the basket as not collected before either writes: only the conditional
    # UPDATE ... WHERE collected_at IS NULL stands between them.
    monkeypatch.setattr(service, "get_distribution",
                        lambda session, distribution_id, lock=False: real_get(session, distribution_id))
    with db.transaction() as session:
        basket_ids = [b.id for b in service.distribution_baskets(session, distribution_id)]
    for basket_id in basket_ids:
        def tick(volunteer):
            try:
                with db.transaction() as session:
                    service.collect_basket(session, distribution_id, volunteer, basket_id=basket_id)
                return 201
            except service.Problem as problem:
                return problem.status
        assert sorted(race(lambda: tick("veilleur-0"), lambda: tick("veilleur-1"))) == [201, 409]
    with db.sessions() as session:
        events = session.execute(select(func.count()).select_from(outbox).where(
            outbox.c.type == "relay.basket.collected")).scalar()
        assert events == len(basket_ids)


def test_two_neighbours_taking_the_last_share_at_once_get_one_share_and_one_409(pg_database):
    db = pg_database("relay")
    contract_id, _first = seed(db, subscribers=(), max_shares=1)
    app = app_for(create_app, "relay", db)
    people = [identity_header(f"voisin-{i}", roles=("neighbour",)) for i in range(2)]
    responses = race(*[lambda h=h: app.test_client().post(f"/contracts/{contract_id}/subscriptions", headers=h,
                                                          json={"basket_kind": "small"}) for h in people])
    assert sorted(r.status_code for r in responses) == [201, 409]
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscription)) == 1


def test_an_erased_account_is_forgotten_and_its_history_kept_as_counts(pg_database):
    db = pg_database("relay")
    _contract_id, distribution_id = seed(db)
    with db.transaction() as session:
        service.sign_up(session, distribution_id, "voisin-1", "opener", display_name="Sam")
        service.collect_basket(session, distribution_id, "veilleur-0", account_id="voisin-1")
    consumer = Consumer(db, "amqp://unused", "veilleuse.events", "veilleuse.dlx", "relay.identity",
                        QUEUES["relay.identity"])
    body = encode(new_event("identity.account.erased", "/veilleuse/identity", {"account_id": "voisin-1"},
                            subject="voisin-1"))
    assert consumer.apply(body).action == "applied"
    assert consumer.apply(body).action == "duplicate"
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscription).where(
            Subscription.account_id == "voisin-1")) == 0
        anonymous = session.scalars(select(Subscription).where(Subscription.anonymised_at.is_not(None))).all()
        assert len(anonymous) == 1 and anonymous[0].display_name == ""
        assert session.scalar(select(func.count()).select_from(Basket).where(Basket.account_id == "voisin-1")) == 0
        # The season still counts this share's baskets, and the one it collected.
        assert session.scalar(select(func.count()).select_from(Basket).where(
            Basket.subscription_id == anonymous[0].id)) == 3
        assert session.scalar(select(func.count()).select_from(Basket).where(
            Basket.subscription_id == anonymous[0].id, Basket.status == "collected")) == 1
        entry = session.scalars(select(RosterEntry)).one()
        assert entry.account_id is None and entry.display_name == ""
    bad = encode(new_event("identity.account.erased", "/veilleuse/identity", {"nobody": 1}))
    assert consumer.apply(bad).action == "dead-lettered"


def test_the_consumer_queues_cover_every_event_the_relay_consumes():
    from services.relay.events import CONSUMED

    assert {t for handlers in QUEUES.values() for t in handlers} == set(CONSUMED) == set(HANDLERS)


def test_migrations_build_the_relay_schema_on_postgres(pg_database):
    db = pg_database("relay")
    tables = set(inspect(db.engine).get_table_names())
    assert {"producers", "contracts", "basket_kinds", "subscriptions", "distributions", "deliveries",
            "baskets", "roster_entries", "outbox", "inbox", "sites"} <= tables
    uniques = {u["name"] for u in inspect(db.engine).get_unique_constraints("baskets")}
    assert {"uq_baskets_pickup_code", "uq_baskets_subscription"} <= uniques
