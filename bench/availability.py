"""Measurement 4: availability of one room over a month, with 100,000 reservations in PostgreSQL."""
from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import requests

RESERVATIONS = int(os.environ.get("BENCH_RESERVATIONS", "100000"))
SAMPLES = int(os.environ.get("BENCH_AVAILABILITY_SAMPLES", "200"))
SLOTS_UTC = ((8, 10), (10, 12), (13, 15), (15, 17))  # four bookings a day, inside opening hours
MONTH = (datetime(2027, 3, 1, tzinfo=timezone.utc), datetime(2027, 4, 1, tzinfo=timezone.utc))
STATUS_CYCLE = ["cancelled", "requested", "declined"] + ["confirmed"] * 17


def fill(booking_url: str) -> dict:
    """COPY the reservations, spread over every room of the demo sites, four a day from 2024 on."""
    with psycopg.connect(booking_url) as conn:
        # The demo rooms only: other measurements add rooms named "Bench ..." to Mutualab.
        rooms = conn.execute("SELECT id, site_id, name FROM rooms WHERE name NOT LIKE 'Bench %' "
                             "ORDER BY name, id").fetchall()
        per_room = -(-RESERVATIONS // len(rooms))
        first_day = datetime(2024, 1, 1, tzinfo=timezone.utc)
        now = datetime.now(timezone.utc)
        started = time.perf_counter()
        written = 0
        with conn.cursor().copy(
                "COPY reservations (id, room_id, site_id, starts_at, ends_at, blocked_until, attendees, title,"
                " public, rate_kind, status, currency, list_price_cents, price_cents, price_breakdown, money_box,"
                " contribution_cents, created_at, updated_at) FROM STDIN") as copy:
            for room_id, site_id, _name in rooms:
                for index in range(per_room):
                    if written == RESERVATIONS:
                        break
                    day = first_day + timedelta(days=index // len(SLOTS_UTC))
                    opens, closes = SLOTS_UTC[index % len(SLOTS_UTC)]
                    starts, ends = day.replace(hour=opens), day.replace(hour=closes)
                    copy.write_row((str(uuid.uuid4()), room_id, site_id, starts, ends, ends, 4, "Réunion",
                                    index % 3 == 0, "association", STATUS_CYCLE[index % len(STATUS_CYCLE)], "EUR",
                                    0, 0, "[]", True, 0, now, now))
                    written += 1
        conn.execute("ANALYZE reservations")
        conn.commit()
        elapsed = time.perf_counter() - started
        room = next(r for r in rooms if r[2] == "Salle de réunion")
        busy = conn.execute("SELECT count(*) FROM reservations WHERE room_id = %s AND status IN "
                            "('requested', 'confirmed') AND starts_at < %s AND blocked_until > %s",
                            (room[0], MONTH[1], MONTH[0])).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM reservations").fetchone()[0]
    return {"rows": total, "rooms": len(rooms), "room_id": room[0], "busy_in_month": busy,
            "insert_seconds": round(elapsed, 2)}


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "max": ordered[-1], "samples": len(ordered)}


def measure(platform, log=print) -> dict:
    from services.booking import service
    from shared.db import Database

    url = platform.env["BOOKING_DATABASE_URL"]
    filled = fill(url)
    log(f"  filled: {filled}")
    db = Database("postgresql+psycopg://" + url.split("://", 1)[1])
    http_session = requests.Session()
    http_session.trust_env = False
    params = {"room": filled["room_id"], "from": MONTH[0].isoformat(), "to": MONTH[1].isoformat()}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # the COPY's writes are flushed before measuring
    time.sleep(2)
    in_process, over_http = [], []
    # Interleaved, so that both ways see the same machine.
    for attempt in range(SAMPLES + 20):
        started = time.perf_counter()
        with db.transaction() as session:
            answer = service.availability(session, MONTH[0], MONTH[1], room_id=filled["room_id"])
        middle = time.perf_counter()
        response = http_session.get(platform.url("booking", "/availability"), params=params, timeout=10)
        ended = time.perf_counter()
        if response.status_code != 200:
            raise RuntimeError(f"availability answered {response.status_code}: {response.text[:300]}")
        if attempt >= 20:
            in_process.append((middle - started) * 1000)
            over_http.append((ended - middle) * 1000)
    assert len(answer["rooms"][0]["busy"]) == filled["busy_in_month"]
    assert len(response.json()["rooms"][0]["busy"]) == filled["busy_in_month"]
    db.dispose()
    result = {**filled, "use_case": _stats(in_process), "http": _stats(over_http), "load": os.getloadavg()[0]}
    log(f"  use case: {result['use_case']}\n  HTTP: {result['http']}")
    return result
