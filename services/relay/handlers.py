"""Handlers of the events the relay service consumes; each is idempotent."""
from sqlalchemy.orm import Session

from services.relay import events, service
from services.relay.models import Site
from shared.sites import site_handlers


def on_account_erased(session: Session, event: dict) -> None:
    """The person left the platform: their shares stay, anonymous, so the season's counts hold."""
    data = events.AccountErasedData().load(event["data"])
    service.erase_account(session, data["account_id"])


HANDLERS = {
    **site_handlers(Site),
    events.ACCOUNT_ERASED: on_account_erased,
}
