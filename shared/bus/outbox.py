"""Writing an event into the outbox, inside the transaction of the business change; its state for /readyz."""
from __future__ import annotations

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from shared.bus.contracts import check
from shared.bus.tables import PENDING, outbox
from shared.events import encode, new_event, utcnow
from shared.logs import request_id_var

NOTIFY_CHANNEL = "veilleuse_outbox"


def record_event(session: Session, source: str, type_: str, data: dict,
                 subject: str | None = None) -> dict:
    """Add one event to the outbox; it leaves only if the caller's transaction commits.

    The data must keep the contract of its type (shared.bus.contracts): a ContractViolation otherwise, which
    fails the use case rather than send outside programs what they were not promised."""
    check(source, type_, data, subject)
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


COUNT_CAP = 10_000  # /readyz counts up to this: cheap on the partial indexes even after a long outage


def outbox_health(db) -> dict:
    """For /readyz: events still to publish (counted up to COUNT_CAP) and events set aside."""
    with db.engine.connect() as conn:
        pending = conn.execute(select(func.count()).select_from(
            select(outbox.c.id).where(PENDING).limit(COUNT_CAP).subquery())).scalar_one()
        set_aside = conn.execute(select(func.count()).select_from(outbox)
                                 .where(outbox.c.set_aside_at.isnot(None))).scalar_one()
    return {"pending": pending, "set_aside": set_aside}
