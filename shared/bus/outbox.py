"""Writing an event into the outbox, inside the transaction of the business change."""
from __future__ import annotations

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from shared.bus.tables import outbox
from shared.events import encode, new_event, utcnow
from shared.logs import request_id_var

NOTIFY_CHANNEL = "veilleuse_outbox"


def record_event(session: Session, source: str, type_: str, data: dict,
                 subject: str | None = None) -> dict:
    """Add one event to the outbox; it leaves only if the caller's transaction commits."""
    event = new_event(type_, f"/veilleuse/{source}", data, subject=subject,
                      correlationid=request_id_var.get())
    session.execute(insert(outbox).values(
        id=event["id"], type=type_, body=encode(event).decode("utf-8"),
        created_at=utcnow(), attempts=0,
    ))
    if session.get_bind().dialect.name == "postgresql":
        # Delivered at commit only: wakes the relay without polling.
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return event
