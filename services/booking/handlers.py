"""Handlers of the events the booking service consumes; each is idempotent."""
from sqlalchemy.orm import Session

from services.booking import events, service
from services.booking.models import Site
from shared.sites import site_handlers


def on_account_erased(session: Session, event: dict) -> None:
    """The person's reservations keep their time slot and lose every personal field."""
    data = events.AccountErasedData().load(event["data"])
    service.erase_account(session, data["account_id"])


SITE_HANDLERS = site_handlers(Site)
IDENTITY_HANDLERS = {events.ACCOUNT_ERASED: on_account_erased}
HANDLERS = {**SITE_HANDLERS, **IDENTITY_HANDLERS}
