"""The bus topology exists from the moment the system is migrated: nothing published early is lost."""
import json
import os
import subprocess
import sys

from sqlalchemy import select

from gateway import service as gateway_service
from services.booking.models import Site as BookingSite
from services.booking.worker import QUEUES as BOOKING_QUEUES
from shared.bus.amqp import connect
from shared.bus.consumer import Consumer
from shared.bus.relay import OutboxRelay
from shared.bus.tables import outbox
from shared.bus.topology import declare_exchange, declare_topology
from shared.config import ROOT
from shared.db import Database
from tests.support.bus import Running, drain_queue, record_example, wait_until

EXCHANGE, DLX = "veilleuse.events", "veilleuse.dlx"


def migrate(servers, amqp_url, *components) -> dict[str, Database]:
    """`python -m shared.migrations <components>` on fresh databases, as `make migrate` runs it."""
    env = {**os.environ, "AMQP_URL": amqp_url}
    urls = {}
    for component in components:
        urls[component] = servers.pg_url(servers.create_database(f"topology_{component}_{os.urandom(3).hex()}"))
        env[f"{component.upper()}_DATABASE_URL"] = urls[component]
    subprocess.run([sys.executable, "-m", "shared.migrations", *components], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    return {component: Database(url) for component, url in urls.items()}


def rows(db):
    with db.sessions() as session:
        return session.execute(select(outbox.c.type, outbox.c.sent_at, outbox.c.attempts)).all()


def test_an_event_published_before_its_consumer_ever_started_is_applied_when_it_starts(servers):
    amqp_url = servers.create_vhost("topology-early")
    dbs = migrate(servers, amqp_url, "gateway", "booking")
    try:
        with dbs["gateway"].transaction() as session:
            site = gateway_service.create_site(session, "early-bird", "Early bird", "Lille")
        relay = OutboxRelay(dbs["gateway"], amqp_url, EXCHANGE)
        with Running(relay):
            assert wait_until(lambda: all(row.sent_at for row in rows(dbs["gateway"])))
        # Only now does booking's worker start for the first time.
        consumer = Consumer(dbs["booking"], amqp_url, EXCHANGE, DLX, "booking.sites",
                            BOOKING_QUEUES["booking.sites"])
        with Running(consumer):
            def booking_has_the_site():
                with dbs["booking"].sessions() as session:
                    return session.get(BookingSite, site.id) is not None
            assert wait_until(booking_has_the_site, timeout=20)
    finally:
        for db in dbs.values():
            db.dispose()


def test_an_event_type_no_internal_queue_binds_is_sent_and_kept_in_the_bounded_unrouted_queue(servers):
    amqp_url = servers.create_vhost("topology-unbound")
    dbs = migrate(servers, amqp_url, "booking")
    db = dbs["booking"]
    try:
        with db.transaction() as session:  # only outside programs (the coworking app) consume room events
            event = record_example(session, "booking.room.created", "r-1")
        with Running(OutboxRelay(db, amqp_url, EXCHANGE)):
            assert wait_until(lambda: [row.sent_at is not None for row in rows(db)] == [True])
        assert [row.attempts for row in rows(db)] == [0]
        kept = drain_queue(amqp_url, "veilleuse.unrouted", expected=1, timeout=5)
        assert [json.loads(body)["id"] for _headers, body in kept] == [event["id"]]
    finally:
        db.dispose()


def test_an_event_nobody_can_route_is_not_marked_sent_until_the_topology_exists(servers, pg_database):
    amqp_url = servers.create_vhost("topology-missing")
    db = pg_database("booking")
    connection = connect(amqp_url)
    try:
        # A broker where the system was never migrated: the exchange alone, nothing bound to it.
        declare_exchange(connection.channel(), EXCHANGE)
    finally:
        connection.close()
    with db.transaction() as session:
        record_example(session, "booking.room.created", "r-2")
    relay = OutboxRelay(db, amqp_url, EXCHANGE)
    with Running(relay):
        # The broker returns it (the relay then waits longer before its next round); the row stays in
        # the outbox and is not counted as a refusal.
        assert wait_until(lambda: relay.retry_backoff.current > relay.retry_backoff.first)
        assert [(row.sent_at, row.attempts) for row in rows(db)] == [(None, 0)]
        declare_topology(amqp_url)
        assert wait_until(lambda: rows(db)[0].sent_at is not None, timeout=40)


def test_the_definitions_file_holds_the_topology_the_migration_declares(servers):
    definitions = json.loads((ROOT / "infra/rabbitmq/definitions.json").read_text())
    amqp_url = servers.import_vhost("topology-definitions", definitions)   # as an operator would load it
    # Declaring over AMQP what the migration declares changes nothing and is refused nothing:
    # RabbitMQ answers PRECONDITION_FAILED to a queue or exchange declared with other arguments.
    topology = declare_topology(amqp_url)
    connection = connect(amqp_url)
    try:
        channel = connection.channel()
        for queue in [*topology.queues, *(f"{queue}.dlq" for queue in topology.queues), "veilleuse.unrouted"]:
            channel.queue_declare(queue=queue, passive=True)
    finally:
        connection.close()
    assert {"booking.sites", "relay.identity", "grocery.donations", "housing.identity"} <= set(topology.queues)
