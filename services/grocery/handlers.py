"""Handlers of the events the grocery service consumes; each is idempotent."""
from sqlalchemy.orm import Session

from services.grocery import events, service
from services.grocery.events import AccountErasedData, BasketUnclaimedData
from services.grocery.models import Site
from shared.bus.consumer import PermanentFailure
from shared.sites import site_handlers


def on_basket_unclaimed(session: Session, event: dict) -> None:
    """An unclaimed AMAP basket becomes a donated DLC lot; a basket already taken adds nothing."""
    data = BasketUnclaimedData().load(event["data"])
    if session.get(Site, data["site_id"]) is None:
        raise PermanentFailure(f"site {data['site_id']!r} is unknown to the grocery")
    service.take_unclaimed_basket(session, data)


def on_account_erased(session: Session, event: dict) -> None:
    service.forget_account(session, AccountErasedData().load(event["data"])["account_id"])


SITE_HANDLERS = site_handlers(Site)
DONATION_HANDLERS = {events.BASKET_UNCLAIMED: on_basket_unclaimed}
ACCOUNT_HANDLERS = {events.ACCOUNT_ERASED: on_account_erased}

HANDLERS = {**SITE_HANDLERS, **DONATION_HANDLERS, **ACCOUNT_HANDLERS}
