"""`python -m bench.consumer AMQP_URL DATABASE_URL OUT_FILE`: a consumer of booking.room.created that notes,
in its handler, how long after the event's `time` it runs; writes the latencies (ms) to OUT_FILE on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
from datetime import datetime, timezone

from shared.bus.consumer import Consumer
from shared.bus.tables import bus_metadata
from shared.db import Database

QUEUE = "bench.latency"


def main(amqp_url: str, database_url: str, out_file: str) -> None:
    db = Database(database_url)
    bus_metadata.create_all(db.engine)
    latencies: list[float] = []

    def on_room_created(_session, event):
        sent = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
        latencies.append((datetime.now(timezone.utc) - sent).total_seconds() * 1000)

    consumer = Consumer(db, amqp_url, "veilleuse.events", "veilleuse.dlx", QUEUE,
                        {"booking.room.created": on_room_created}, prefetch=32)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop())
    thread = threading.Thread(target=consumer.run_forever, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
        _write(out_file, latencies)  # every half second, so that the bench sees how many arrived
    _write(out_file, latencies)
    db.dispose()


def _write(out_file: str, latencies: list[float]) -> None:
    with open(out_file + ".tmp", "w") as out:
        json.dump(list(latencies), out)
    os.replace(out_file + ".tmp", out_file)


if __name__ == "__main__":
    main(*sys.argv[1:4])
