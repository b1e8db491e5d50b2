"""Faults on the real servers: a database that goes away, a service down or slow, a worker killed."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import requests
from sqlalchemy import func, select

import gateway
from services.booking import create_app as create_booking
from services.booking.models import Room, Site
from shared.bus.tables import outbox
from shared.config import ROOT, Settings
from shared.db import Database
from shared.events import encode, new_event
from tests.conftest import app_for, identity_header
from tests.support.bus import host_port, publish_raw, queue_exists, via_proxy, wait_until
from tests.support.tcpproxy import TcpProxy

VEILLEUR = identity_header("v-1", roles=("veilleur",))


def counts(db):
    with db.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Room)),
                session.scalar(select(func.count()).select_from(outbox)))


def test_database_unreachable_gives_a_quick_503_writes_nothing_and_recovers_by_itself(pg_database):
    real = pg_database("booking")
    with real.transaction() as session:
        session.add(Site(id="s1", slug="la-coroutine", name="La Coroutine", timezone="Europe/Paris",
                         opening_hours={}, version=1))
    proxy = TcpProxy(*host_port(real.url.replace("postgresql+psycopg", "postgresql"), 5432))
    db = Database(via_proxy(real.url, proxy.port))
    client = app_for(create_booking, "booking", db).test_client()
    body = {"site": "la-coroutine", "name": "Salle", "capacity": 5}
    try:
        assert client.post("/rooms", json=body, headers=VEILLEUR).status_code == 201
        proxy.cut()
        started = time.monotonic()
        write = client.post("/rooms", json=body, headers=VEILLEUR)
        read = client.get("/rooms?site=la-coroutine")
        elapsed = time.monotonic() - started
        assert write.status_code == 503 and read.status_code == 503
        assert write.content_type == "application/problem+json" and write.headers["Retry-After"]
        assert elapsed < 10, "a 503 must come quickly, not after a hang"
        assert client.get("/readyz").status_code == 503
        assert counts(real) == (1, 1), "nothing half-written"
        proxy.restore()
        assert client.post("/rooms", json=body, headers=VEILLEUR).status_code == 201
        assert counts(real) == (2, 2)
        assert client.get("/readyz").status_code == 200
    finally:
        db.dispose()
        proxy.close()


def silent_server():
    """A TCP server that accepts connections and never answers: a hung service."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return listener


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gateway_answers_503_for_a_down_service_and_504_for_a_hung_one_within_its_timeout(
        sqlite_database, monkeypatch):
    hung = silent_server()
    monkeypatch.setenv("BOOKING_URL", f"http://127.0.0.1:{free_port()}")          # nobody listens
    monkeypatch.setenv("RELAY_URL", f"http://127.0.0.1:{hung.getsockname()[1]}")  # never answers
    db = sqlite_database("gateway")
    settings = Settings.from_env("gateway", database_url=db.url, upstream_read_timeout=1.0)
    client = gateway.create_app({"SETTINGS": settings, "DATABASE": db}).test_client()
    try:
        started = time.monotonic()
        down = client.get("/api/booking/rooms")
        assert down.status_code == 503 and time.monotonic() - started < 2
        started = time.monotonic()
        slow = client.get("/api/relay/sites")
        waited = time.monotonic() - started
        assert slow.status_code == 504 and slow.content_type == "application/problem+json"
        assert waited < 3, "the gateway must give up at its read timeout"
        assert client.get("/api/sites").status_code == 200, "the gateway's own API keeps working"
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json["services"]["booking"]["status"] == "down"
    finally:
        hung.close()


def test_a_worker_killed_while_handling_an_event_gets_it_again_and_applies_it_once(pg_database, amqp_url, tmp_path):
    db = pg_database("relay")
    queue = "test.killed-worker"
    args = [sys.executable, "-m", "tests.support.slow_consumer", db.url, amqp_url, queue, str(tmp_path)]
    first = subprocess.Popen(args, cwd=ROOT)
    second = None
    try:
        # Wait for the queue, then send one event.
        assert wait_until(lambda: queue_exists(amqp_url, queue), timeout=20)
        event = new_event("booking.room.created", "/veilleuse/booking", {"room_id": "r"})
        publish_raw(amqp_url, "booking.room.created", encode(event))
        assert wait_until(lambda: list(tmp_path.glob(f"started-{event['id']}-{first.pid}")), timeout=20)
        os.kill(first.pid, signal.SIGKILL)          # killed in the middle of the handler
        first.wait(10)
        (tmp_path / "release").touch()
        second = subprocess.Popen(args, cwd=ROOT)
        assert wait_until(lambda: list(tmp_path.glob(f"started-{event['id']}-{second.pid}")), timeout=30)

        def applied():
            with db.sessions() as session:
                return [json.loads(r.body)["data"]["of"] for r in session.execute(select(outbox))]
        assert wait_until(lambda: applied() == [event["id"]], timeout=20)
        time.sleep(1)
        assert applied() == [event["id"]], "applied exactly once"
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.terminate()
                process.wait(10)


def test_services_keep_serving_when_another_is_down(sqlite_database, monkeypatch):
    booking_db = sqlite_database("booking")
    booking = app_for(create_booking, "booking", booking_db)
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, booking, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("BOOKING_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("GROCERY_URL", f"http://127.0.0.1:{free_port()}")
    gateway_db = sqlite_database("gateway")
    client = app_for(gateway.create_app, "gateway", gateway_db).test_client()
    try:
        assert client.get("/api/grocery/sites").status_code == 503
        assert client.get("/api/booking/rooms").status_code == 200
        assert requests.get(f"http://127.0.0.1:{server.server_port}/healthz", timeout=5).json() == {"status": "ok"}
    finally:
        server.shutdown()
