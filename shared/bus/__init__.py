"""The event bus: outbox written with the business change, relay, consumer with inbox, dead letters."""
from shared.bus.outbox import record_event
from shared.bus.tables import bus_metadata

__all__ = ["record_event", "bus_metadata"]
