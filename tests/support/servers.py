"""The real PostgreSQL and RabbitMQ the tests run on: testcontainers where Docker runs, else the local
servers named by TEST_DATABASE_URL and AMQP_URL. Each run gets its own vhost and databases."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

import pika
import psycopg

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@localhost:5672/%2F"


class ServersUnavailable(RuntimeError):
    pass


def docker_engine_running() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass
class Servers:
    pg_admin_url: str            # a libpq URL to a database we may CREATE DATABASE from
    amqp_root_url: str           # the broker, default vhost
    vhost_admin: callable = None  # (action, vhost) -> None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    databases: list[str] = field(default_factory=list)
    vhosts: list[str] = field(default_factory=list)
    _containers: list = field(default_factory=list)

    # -- PostgreSQL ------------------------------------------------------------------------
    def _admin(self):
        return psycopg.connect(self.pg_admin_url, autocommit=True, connect_timeout=5)

    def pg_url(self, dbname: str, driver: str = "postgresql+psycopg") -> str:
        parts = urllib.parse.urlsplit(self.pg_admin_url)
        return urllib.parse.urlunsplit((driver, parts.netloc, f"/{dbname}", parts.query, ""))

    def create_database(self, label: str, template: str | None = None) -> str:
        name = f"vt_{self.run_id}_{label}"[:63]
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{suffix}')
        self.databases.append(name)
        return name

    def drop_databases(self) -> None:
        with self._admin() as conn:
            for name in reversed(self.databases):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.databases.clear()

    # -- RabbitMQ -----------------------------------------------------------------------------
    def amqp_url(self, vhost: str) -> str:
        parts = urllib.parse.urlsplit(self.amqp_root_url)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + urllib.parse.quote(vhost, safe=""),
                                        parts.query, ""))

    def create_vhost(self, label: str) -> str:
        vhost = f"veilleuse-test-{self.run_id}-{label}"
        self.vhost_admin("add", vhost)
        self.vhosts.append(vhost)
        return self.amqp_url(vhost)

    def import_vhost(self, label: str, definitions: dict) -> str:
        """A new vhost made by importing RabbitMQ definitions (their vhost "/" renamed), as an operator would."""
        import json

        vhost = f"veilleuse-test-{self.run_id}-{label}"
        renamed = {key: [{**item, "vhost": vhost} for item in items] for key, items in definitions.items()}
        renamed["vhosts"] = [{"name": vhost}]
        self.vhost_admin("import", vhost, json.dumps(renamed))
        self.vhosts.append(vhost)
        return self.amqp_url(vhost)

    def delete_vhosts(self) -> None:
        for vhost in self.vhosts:
            try:
                self.vhost_admin("delete", vhost)
            except Exception:  # noqa: BLE001 - best effort at the end of a run
                pass
        self.vhosts.clear()

    def close(self) -> None:
        self.drop_databases()
        self.delete_vhosts()
        for container in self._containers:
            container.stop()


def _rabbitmqctl(exec_prefix: list[str] | None = None):
    prefix = exec_prefix or []

    def admin(action: str, vhost: str, definitions: str | None = None) -> None:
        """add or delete a vhost; or "import" RabbitMQ definitions (JSON text) that create `vhost`."""
        if action == "import":   # the definitions go in on standard input (-i for docker exec)
            stdin_prefix = prefix[:2] + ["-i"] + prefix[2:] if prefix else []
            runs = [(stdin_prefix + ["rabbitmqctl", "-q", "import_definitions", "--format", "json"],
                     definitions)]
        else:
            runs = [(prefix + ["rabbitmqctl", "-q", f"{action}_vhost", vhost], None)]
        if action in ("add", "import"):
            runs.append((prefix + ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                         None))
        for command, given in runs:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60, input=given)
            if result.returncode != 0:
                raise ServersUnavailable(f"{' '.join(command)} failed: {result.stderr.strip()}")

    return admin


def _wait_for_pg(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url, connect_timeout=3).close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise ServersUnavailable(f"PostgreSQL at {url} is unreachable: {exc}") from None
            time.sleep(0.5)


def _wait_for_amqp(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            pika.BlockingConnection(pika.URLParameters(url)).close()
            return
        except Exception as exc:  # noqa: BLE001
            if time.monotonic() > deadline:
                raise ServersUnavailable(f"RabbitMQ at {url} is unreachable: {exc}") from None
            time.sleep(0.5)


def start_servers() -> Servers:
    if docker_engine_running() and not os.environ.get("VEILLEUSE_TESTS_LOCAL_SERVERS"):
        from testcontainers.postgres import PostgresContainer
        from testcontainers.rabbitmq import RabbitMqContainer

        pg = PostgresContainer("postgres:15", driver=None).start()
        mq = RabbitMqContainer("rabbitmq:3.13").start()
        pg_url = pg.get_connection_url()
        amqp = f"amqp://guest:guest@{mq.get_container_host_ip()}:{mq.get_exposed_port(5672)}/%2F"
        servers = Servers(pg_url, amqp, _rabbitmqctl(["docker", "exec", mq.get_wrapped_container().id]))
        servers._containers += [pg, mq]
    else:
        pg_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
        amqp = os.environ.get("AMQP_URL", DEFAULT_AMQP)
        if not shutil.which("rabbitmqctl"):
            raise ServersUnavailable("rabbitmqctl is needed to give each test run its own vhost")
        servers = Servers(pg_url, amqp, _rabbitmqctl())
    _wait_for_pg(servers.pg_admin_url, 30)
    _wait_for_amqp(servers.amqp_root_url, 30)
    return servers
