"""Handlers of the events the housing service consumes; each is idempotent."""
from sqlalchemy.orm import Session

from services.housing import events, service


def on_account_erased(session: Session, event: dict) -> None:
    """The person's requests, offers, messages and group memberships go; doing it twice changes nothing."""
    data = events.AccountErasedData().load(event["data"])
    service.erase_person(session, data["account_id"])


HANDLERS = {
    events.ACCOUNT_ERASED: on_account_erased,
}
