"""Measurements 2 and 3: event latency from an HTTP commit to a consumer, and the outbox relay's throughput."""
from __future__ import annotations

import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time

import pika
from sqlalchemy import insert

from bench import procs
from shared.bus.amqp import connect
from shared.bus.relay import OutboxRelay
from shared.bus.tables import bus_metadata, outbox
from shared.config import ROOT
from shared.db import Database
from shared.events import CONTENT_TYPE, encode, new_event, utcnow
from shared.identity import HEADER as IDENTITY_HEADER
from shared.identity import Identity, sign_identity
from shared.keys import private_key_in


def platform_identity_key(platform):
    """The private key of the benchmark's own platform: the bench speaks to the booking service as its gateway."""
    return private_key_in(platform.key_files["IDENTITY_PRIVATE_KEY"])


RATE = int(os.environ.get("BENCH_EVENT_RATE", "200"))
EVENT_SECONDS = int(os.environ.get("BENCH_EVENT_SECONDS", "10"))
LOW_RATE = int(os.environ.get("BENCH_EVENT_LOW_RATE", "50"))
RELAY_MESSAGES = int(os.environ.get("BENCH_RELAY_MESSAGES", "2000"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def _bench_database(platform, label: str) -> Database:
    url = platform.create_database(label)
    db = Database("postgresql+psycopg://" + url.split("://", 1)[1])
    bus_metadata.create_all(db.engine)
    return db


def _wait_for_queue(amqp_url: str, name: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = connect(amqp_url)
        try:
            connection.channel().queue_declare(queue=name, passive=True)
            return
        except pika.exceptions.ChannelClosedByBroker:
            time.sleep(0.2)
        finally:
            if connection.is_open:
                connection.close()
    raise RuntimeError(f"queue {name} was not declared")


def event_latency(platform, log=print, rate: int = RATE, seconds: int = EVENT_SECONDS, label: str = "") -> dict:
    """POST /rooms on the booking service at a steady rate; a consumer notes now - event time."""
    url = platform.create_database(f"consumer{label}")
    out_file = platform.work_dir / f"latencies{label}.json"
    consumer = subprocess.Popen([sys.executable, "-m", "bench.consumer", platform.amqp_url,
                                 "postgresql+psycopg://" + url.split("://", 1)[1], str(out_file)],
                                cwd=ROOT, env=platform.env, stdout=open(platform.work_dir / "bench-consumer.log", "ab"),
                                stderr=subprocess.STDOUT)
    _wait_for_queue(platform.amqp_url, "bench.latency")
    cpu_groups = {"booking (gunicorn)": procs.tree(platform.processes["booking"].pid),
                  "booking worker (relay)": [platform.processes["booking-worker"].pid],
                  "bench consumer": [consumer.pid]}
    cpu_before = {name: procs.cpu_seconds(pids) for name, pids in cpu_groups.items()}
    identity = Identity(subject="bench-veilleur", roles=("veilleur",))
    total = rate * seconds
    jobs: queue.Queue = queue.Queue()
    statuses: dict[int, int] = {}
    late: list[float] = []
    lock = threading.Lock()

    headers = {IDENTITY_HEADER: sign_identity(identity, platform_identity_key(platform),
                                              seconds + 120), "Content-Type": "application/json"}

    def writer():
        # http.client rather than requests: a quarter of the client CPU, left to the platform.
        conn = http.client.HTTPConnection("127.0.0.1", platform.ports["booking"], timeout=10)
        while True:
            job = jobs.get()
            if job is None:
                conn.close()
                return
            index, due = job
            body = json.dumps({"site": "mutualab", "name": f"Bench {label}{index}", "capacity": 4})
            conn.request("POST", "/rooms", body=body, headers=headers)
            answer = conn.getresponse()
            answer.read()
            with lock:
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
                late.append(time.monotonic() - due)

    writers = [threading.Thread(target=writer, daemon=True) for _ in range(16)]
    for w in writers:
        w.start()
    run_began = utcnow()
    started = time.monotonic()
    for index in range(total):  # open loop: a request is due every 1/RATE s, whatever the answers do
        due = started + index / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        jobs.put((index, due))
    for _ in writers:
        jobs.put(None)
    for w in writers:
        w.join()
    sent_for = time.monotonic() - started
    deadline = time.monotonic() + 120  # let the last events arrive
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            if len(json.loads(out_file.read_text())) >= statuses.get(201, 0):
                break
        except (OSError, ValueError):
            pass
    cpu = {name: round((procs.cpu_seconds(pids) - cpu_before[name]) * 1000 / total, 2)
           for name, pids in cpu_groups.items()}
    consumer.terminate()
    consumer.wait(30)
    latencies = json.loads(out_file.read_text())
    relay_share = _relay_delays(platform, run_began)
    result = {"rate": rate, "seconds": seconds, "posted": total, "statuses": statuses,
              "achieved_rate": round(total / sent_for, 1), "received": len(latencies),
              "p50": percentile(latencies, 0.50), "p95": percentile(latencies, 0.95),
              "p99": percentile(latencies, 0.99), "max": max(latencies) if latencies else float("nan"),
              "client_late_p99_ms": percentile(late, 0.99) * 1000, "load": os.getloadavg()[0],
              "cpu_ms_per_event": cpu, "outbox_p50": relay_share[0], "outbox_p99": relay_share[1]}
    log(f"  event latency: {result}")
    return result


def _relay_delays(platform, since) -> tuple[float, float]:
    """p50 and p99 of sent_at - created_at in the booking outbox: the relay's share of the latency."""
    import psycopg

    with psycopg.connect(platform.env["BOOKING_DATABASE_URL"]) as conn:
        row = conn.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY delay), percentile_cont(0.99) WITHIN GROUP "
            "(ORDER BY delay) FROM (SELECT extract(epoch FROM sent_at - created_at) * 1000 AS delay FROM outbox "
            "WHERE type = 'booking.room.created' AND created_at >= %s AND sent_at IS NOT NULL) AS delays",
            (since,)).fetchone()
    return (float(row[0]), float(row[1])) if row and row[0] is not None else (float("nan"), float("nan"))


def _fill_outbox(db: Database, count: int) -> None:
    rows = []
    for index in range(count):
        event = new_event("bench.message.relayed", "/veilleuse/bench", {"index": index, "room_id": "x" * 36})
        rows.append({"id": event["id"], "type": event["type"], "body": encode(event).decode(),
                     "created_at": utcnow(), "attempts": 0})
    with db.engine.begin() as conn:
        conn.execute(insert(outbox), rows)


def _declare(channel, exchange: str, queue_name: str) -> None:
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
    channel.queue_declare(queue=queue_name, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(queue=queue_name, exchange=exchange, routing_key="#")
    channel.queue_purge(queue_name)


def _raw(amqp_url: str, exchange: str, count: int, mode: str) -> float:
    connection = connect(amqp_url)
    try:
        channel = connection.channel()
        channel.tx_select() if mode == "tx" else channel.confirm_delivery()
        body = encode(new_event("bench.message.relayed", "/veilleuse/bench", {"index": 0, "room_id": "x" * 36}))
        started = time.perf_counter()
        for index in range(count):
            channel.basic_publish(exchange=exchange, routing_key="bench.message.relayed", body=body,
                                  properties=pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=2,
                                                                  message_id=str(index), type="bench.message.relayed"))
            if mode == "tx":
                channel.tx_commit()
        return time.perf_counter() - started
    finally:
        connection.close()


def relay_throughput(platform, log=print) -> dict:
    """OutboxRelay draining N rows vs raw pika publishers (a transaction per message; confirms) to a quorum queue."""
    db = _bench_database(platform, "outbox")
    exchange, queue_name = "bench.relay", "bench.relay"
    connection = connect(platform.amqp_url)
    channel = connection.channel()
    _declare(channel, exchange, queue_name)
    count = RELAY_MESSAGES
    results = {"messages": count}
    for name in ("relay", "raw_tx", "raw_confirm"):
        channel.queue_purge(queue_name)
        if name == "relay":
            _fill_outbox(db, count)
            relay = OutboxRelay(db, platform.amqp_url, exchange)
            started = time.perf_counter()
            published = relay.run_until_empty(timeout=300)
            elapsed = time.perf_counter() - started
            if published != count:
                raise RuntimeError(f"the relay published {published} of {count}")
        else:
            elapsed = _raw(platform.amqp_url, exchange, count, "tx" if name == "raw_tx" else "confirm")
        in_queue = channel.queue_declare(queue=queue_name, passive=True).method.message_count
        results[name] = {"seconds": round(elapsed, 3), "per_second": round(count / elapsed, 1),
                         "in_queue": in_queue, "load": os.getloadavg()[0]}
        log(f"  {name}: {results[name]}")
    channel.queue_delete(queue_name)
    channel.exchange_delete(exchange)
    connection.close()
    db.dispose()
    results["ratio_tx"] = results["relay"]["per_second"] / results["raw_tx"]["per_second"]
    results["ratio_confirm"] = results["relay"]["per_second"] / results["raw_confirm"]["per_second"]
    return results
