"""The whole platform started as real processes (gunicorn and workers), for end-to-end tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from shared.bus.topology import declare_topology
from shared.config import ROOT, SERVICES
from shared.migrations import upgrade

COMPONENTS = ("gateway", *SERVICES)
APP_FACTORIES = {"gateway": "gateway:create_app()", **{s: f"services.{s}:create_app()" for s in SERVICES}}
WORKERS = {"gateway": "gateway.worker", **{s: f"services.{s}.worker" for s in SERVICES}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class System:
    def __init__(self, servers, log_dir: Path, extra_env: dict | None = None):
        self.servers = servers
        self.log_dir = log_dir
        self.ports = {name: free_port() for name in COMPONENTS}
        self.amqp_url = servers.create_vhost(f"e2e{free_port()}")
        self.database_urls = {}
        for name in COMPONENTS:
            db_name = servers.create_database(f"e2e_{name}_{self.ports[name]}")
            self.database_urls[name] = servers.pg_url(db_name)
        self.env = {**os.environ, "AMQP_URL": self.amqp_url, "PYTHONUNBUFFERED": "1",
                    "LOGIN_RATE_LIMIT_ADDRESS": "1000 per minute", "LOGIN_RATE_LIMIT_ACCOUNT": "1000 per minute",
                    "WEB_WORKERS": "1", "WEB_THREADS": "4", **(extra_env or {})}
        for name in COMPONENTS:
            self.env[f"{name.upper()}_DATABASE_URL"] = self.database_urls[name]
            if name != "gateway":
                self.env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{self.ports[name]}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.base_url = f"http://127.0.0.1:{self.ports['gateway']}"
        self.env.setdefault("PUBLIC_BASE_URL", self.base_url)  # where the links in mails point

    def _spawn(self, key: str, args: list[str]) -> None:
        log = open(self.log_dir / f"{key}.log", "ab")
        self.processes[key] = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start_web(self, name: str) -> None:
        self._spawn(name, [sys.executable, "-m", "gunicorn", "--config", "infra/gunicorn.conf.py",
                           "--bind", f"127.0.0.1:{self.ports[name]}", APP_FACTORIES[name]])

    def start_worker(self, name: str) -> None:
        self._spawn(f"{name}-worker", [sys.executable, "-m", WORKERS[name]])

    def stop(self, key: str, kill: bool = False) -> None:
        process = self.processes.pop(key, None)
        if process and process.poll() is None:
            process.kill() if kill else process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def start(self) -> "System":
        self._declare_audit_queue()
        for name in COMPONENTS:
            upgrade(name, self.database_urls[name])
        declare_topology(self.amqp_url)   # as `python -m shared.migrations` does after the databases
        seed = subprocess.run([sys.executable, "-m", "infra.demo_data"], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)
        if seed.returncode != 0:
            raise RuntimeError(f"demo data failed: {seed.stderr[-2000:]}")
        for name in COMPONENTS:
            self.start_web(name)
            self.start_worker(name)
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for key, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{key} exited with {process.returncode}; see {self.log_dir}/{key}.log")
            try:
                response = requests.get(f"{self.base_url}/healthz", timeout=5)
                last = response.json()
                if response.status_code == 200:
                    return last
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.3)
        raise RuntimeError(f"the platform did not become healthy: {last}")

    def shutdown(self) -> None:
        for key in list(self.processes):
            self.stop(key)

    # -- every event of the run, kept for the personal-data audit ------------------------------
    AUDIT_QUEUE = "e2e.audit"

    def _declare_audit_queue(self) -> None:
        from shared.bus.amqp import connect, declare_exchange

        connection = connect(self.amqp_url)
        try:
            channel = connection.channel()
            declare_exchange(channel, "veilleuse.events")
            channel.queue_declare(queue=self.AUDIT_QUEUE, durable=True)
            channel.queue_bind(queue=self.AUDIT_QUEUE, exchange="veilleuse.events", routing_key="#")
        finally:
            connection.close()

    def audited_events(self) -> list[dict]:
        """Every event published since the platform started (drains the audit queue)."""
        import json

        from shared.bus.amqp import connect

        connection = connect(self.amqp_url)
        events = []
        try:
            channel = connection.channel()
            while True:
                method, _props, body = channel.basic_get(self.AUDIT_QUEUE, auto_ack=True)
                if method is None:
                    break
                events.append(json.loads(body))
        finally:
            connection.close()
        self._audited = getattr(self, "_audited", []) + events
        return self._audited

    def log_lines(self) -> list[tuple[str, str]]:
        return [(path.name, line) for path in sorted(self.log_dir.glob("*.log"))
                for line in path.read_text(errors="replace").splitlines()]

    # -- helpers for tests -------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def token(self, email: str, password: str = "veilleuse-demo") -> str:
        response = requests.post(self.url("/api/auth/token"), json={"email": email, "password": password}, timeout=10)
        response.raise_for_status()
        return response.json()["access_token"]

    def auth(self, email: str) -> dict:
        return {"Authorization": f"Bearer {self.token(email)}"}
