"""A consumer process whose handler stops in the middle, so that a test can kill it there.

Usage: python -m tests.support.slow_consumer DATABASE_URL AMQP_URL QUEUE MARKER_DIR
Each time it starts handling an event it writes MARKER_DIR/started-<event id>-<pid>, waits until
MARKER_DIR/release exists, then writes a row in the outbox (its visible effect) and returns."""
import sys
import time
from pathlib import Path

from shared.bus import record_event
from shared.bus.consumer import Consumer
from shared.bus.contracts import Contract, EventData, Text, publishes
from shared.db import Database


class AppliedData(EventData):
    of = Text("the id of the event handled", length=(1, 36))


# A type of this test only: its outbox row is the handler's visible effect.
publishes("relay", Contract("relay.test.applied", AppliedData, "The slow consumer handled an event."))


def main(database_url: str, amqp_url: str, queue: str, marker_dir: str) -> None:
    markers = Path(marker_dir)

    def on_room_created(session, event):
        import os

        (markers / f"started-{event['id']}-{os.getpid()}").touch()
        while not (markers / "release").exists():
            time.sleep(0.05)
        record_event(session, "relay", "relay.test.applied", {"of": event["id"]})

    consumer = Consumer(Database(database_url), amqp_url, "veilleuse.events", "veilleuse.dlx", queue,
                        {"booking.room.created": on_room_created}, prefetch=1)
    consumer.run_forever()


if __name__ == "__main__":
    main(*sys.argv[1:5])
