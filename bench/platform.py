"""The platform started for a benchmark: its own PostgreSQL databases and vhost, gunicorn and workers."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import psycopg
import requests

from shared.config import ROOT, SERVICES
from shared.keys import ensure_keys

COMPONENTS = ("gateway", *SERVICES)
APP_FACTORIES = {"gateway": "gateway:create_app()", **{s: f"services.{s}:create_app()" for s in SERVICES}}
WORKERS = {"gateway": "gateway.worker", **{s: f"services.{s}.worker" for s in SERVICES}}
PG_ADMIN_URL = os.environ.get("BENCH_DATABASE_URL",
                              os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
AMQP_ROOT_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/%2F")
# The same budget for every HTTP component, and for nginx (worker_processes).
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS", "4"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_url(dbname: str, driver: str = "postgresql") -> str:
    parts = urllib.parse.urlsplit(PG_ADMIN_URL)
    return urllib.parse.urlunsplit((driver, parts.netloc, f"/{dbname}", parts.query, ""))


class Platform:
    """Gateway and the four services under gunicorn, with their workers, on fresh databases."""

    def __init__(self, work_dir: Path):
        self.work_dir = work_dir
        self.run_id = uuid.uuid4().hex[:8]
        self.ports = {name: free_port() for name in COMPONENTS}
        self.databases: dict[str, str] = {}
        self.vhost: str | None = None
        self.processes: dict[str, subprocess.Popen] = {}
        self.amqp_url = AMQP_ROOT_URL
        # Keys of this run, as `make run` makes those of a checkout.
        self.key_files = ensure_keys(work_dir / "keys")

    # -- servers -----------------------------------------------------------------------------------
    def _admin(self):
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)

    def create_database(self, label: str) -> str:
        name = f"bench_{self.run_id}_{label}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases[label] = name
        return pg_url(name)

    def _create_vhost(self) -> None:
        """A vhost of our own keeps the queues apart from a running `make run`; the default one otherwise."""
        if not shutil.which("rabbitmqctl"):
            return
        vhost = f"veilleuse-bench-{self.run_id}"
        for command in (["rabbitmqctl", "-q", "add_vhost", vhost],
                        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]):
            result = subprocess.run(command, capture_output=True, text=True, timeout=60)
            if result.returncode != 0:
                return
        self.vhost = vhost
        parts = urllib.parse.urlsplit(AMQP_ROOT_URL)
        self.amqp_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + urllib.parse.quote(vhost, safe=""),
                                                 parts.query, ""))

    @property
    def env(self) -> dict:
        env = {**os.environ, "AMQP_URL": self.amqp_url, "PYTHONUNBUFFERED": "1",
               "WEB_WORKERS": str(WEB_WORKERS), "WEB_THREADS": str(WEB_THREADS),
               "LOGIN_RATE_LIMIT_ADDRESS": "100000 per minute", "LOGIN_RATE_LIMIT_ACCOUNT": "100000 per minute",
               "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0"),
               "RATELIMIT_KEY_PREFIX": f"veilleuse-bench-{self.run_id}"}
        for name, path in self.key_files.items():
            env.pop(name, None)
            env[f"{name}_FILE"] = str(path)
        for name in COMPONENTS:
            env[f"{name.upper()}_DATABASE_URL"] = pg_url(self.databases[name])
            if name != "gateway":
                env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{self.ports[name]}"
        return env

    # -- processes ---------------------------------------------------------------------------------
    def _spawn(self, key: str, args: list[str]) -> None:
        log = open(self.work_dir / f"{key}.log", "ab")
        self.processes[key] = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log,
                                               stderr=subprocess.STDOUT)

    def start(self) -> "Platform":
        from shared.bus.topology import declare_topology
        from shared.migrations import upgrade

        self._create_vhost()
        for name in COMPONENTS:
            url = self.create_database(name)
            upgrade(name, "postgresql+psycopg://" + url.split("://", 1)[1])
        declare_topology(self.amqp_url)   # as `python -m shared.migrations` does after the databases
        seed = subprocess.run([sys.executable, "-m", "infra.demo_data"], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if seed.returncode != 0:
            raise RuntimeError(f"demo data failed: {seed.stderr[-2000:]}")
        for name in COMPONENTS:
            self._spawn(name, [sys.executable, "-m", "gunicorn", "--config", "infra/gunicorn.conf.py",
                               "--bind", f"127.0.0.1:{self.ports[name]}", APP_FACTORIES[name]])
            self._spawn(f"{name}-worker", [sys.executable, "-m", WORKERS[name]])
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            for key, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{key} exited with {process.returncode}; see {self.work_dir}/{key}.log")
            try:
                response = requests.get(self.url("gateway", "/healthz"), timeout=5)
                last = response.text[:500]
                if response.status_code == 200:
                    return
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.3)
        raise RuntimeError(f"the platform did not become healthy: {last}")

    def url(self, component: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[component]}{path}"

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.processes.clear()

    def cleanup(self) -> None:
        self.stop()
        try:
            with self._admin() as conn:
                for name in self.databases.values():
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error:
            pass
        if self.vhost:
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", self.vhost], capture_output=True, timeout=60)
