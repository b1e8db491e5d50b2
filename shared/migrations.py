"""Migrating the system: Alembic, one history per component, and the broker's topology.

`python -m shared.migrations [component ...]` (make migrate, the compose `migrate` step) upgrades the
databases of the components named (all by default), then declares every exchange, queue, binding and
dead-letter queue of the platform on the broker at AMQP_URL (shared.bus.topology), so that an event
published before its consumer ever started waits in the consumer's queue."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from shared.config import ROOT, database_url


def migrations_dir(component: str) -> Path:
    if component == "gateway":
        return ROOT / "gateway" / "migrations"
    return ROOT / "services" / component / "migrations"


def alembic_config(component: str, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir(component)))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(migrations_dir(component) / "versions"))
    cfg.attributes["database_url"] = url or database_url(component)
    return cfg


def upgrade(component: str, url: str | None = None) -> None:
    command.upgrade(alembic_config(component, url), "head")


def _render_item(type_, obj, autogen_context):
    """Autogenerate writes our column types as the plain SQLAlchemy types they stand on."""
    from shared.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_env(target_metadata) -> None:
    """Body of every component's migrations/env.py."""
    from alembic import context
    from sqlalchemy import pool

    from shared.db import make_engine

    url = context.config.attributes.get("database_url") or context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite", render_item=_render_item)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def migrate_system(components=None, amqp_url: str | None = None) -> None:
    """Upgrade the databases of `components` (all by default) and declare the broker's topology."""
    import os

    import pika

    from shared.bus.topology import COMPONENTS, Topology, declare_topology
    from shared.config import Settings

    for name in components or COMPONENTS:
        upgrade(name)
        print(f"migrated {name}")
    amqp_url = amqp_url or os.environ.get("AMQP_URL", Settings.amqp_url)
    topology = Topology.of_platform(os.environ.get("EVENTS_EXCHANGE", Settings.exchange),
                                    Settings.dead_letter_exchange)
    try:
        declare_topology(amqp_url, topology)
    except pika.exceptions.AMQPConnectionError as exc:
        where = pika.URLParameters(amqp_url)
        raise SystemExit(f"cannot reach RabbitMQ at {where.host}:{where.port} to declare the bus topology "
                         f"({type(exc).__name__}); start it, or set AMQP_URL") from None
    print(f"declared the bus topology: {len(topology.queues)} queues, each with its dead-letter queue")


if __name__ == "__main__":
    import sys

    migrate_system(sys.argv[1:])
