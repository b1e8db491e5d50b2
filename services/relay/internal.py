"""What the gateway's notifier reads to remind subscribers and call volunteers (internal, not in the API).

Pickup codes leave the relay only here, to the notifier, which puts each in its holder's mail alone."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, request
from sqlalchemy import select

from services.relay.models import Basket, Distribution, RosterEntry
from shared.events import utcnow
from shared.internal import PREFIX, require_notifier
from shared.problems import invalid, not_found
from shared.web import database

internal = Blueprint("relay-internal", __name__, url_prefix=PREFIX)
VOLUNTEERS_LOOK_BACK = timedelta(days=365)


def _moment(name: str) -> datetime:
    value = request.args.get(name, "")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(name, "give an RFC 3339 time with its offset") from None
    if moment.tzinfo is None:
        raise invalid(name, "give an RFC 3339 time with its offset")
    return moment


def distribution_summary(distribution: Distribution) -> dict:
    contract = distribution.contract
    cutoff = distribution.starts_at - timedelta(hours=contract.absence_cutoff_hours)
    return {"id": distribution.id, "site_id": distribution.site_id, "contract_id": distribution.contract_id,
            "date": distribution.date.isoformat(), "starts_at": distribution.starts_at.isoformat(),
            "ends_at": distribution.ends_at.isoformat(), "status": distribution.status,
            "producer_name": contract.producer.name, "contract_name": contract.name,
            "absence_cutoff_at": cutoff.isoformat()}


@internal.get("/distributions")
def upcoming():
    """Scheduled distributions whose window opens between `starts_after` and `starts_before`."""
    require_notifier()
    after, before = _moment("starts_after"), _moment("starts_before")
    with database().transaction() as session:
        found = session.scalars(select(Distribution).where(
            Distribution.status == "scheduled", Distribution.starts_at > after,
            Distribution.starts_at <= before).order_by(Distribution.starts_at))
        return {"distributions": [distribution_summary(d) for d in found]}


@internal.get("/distributions/<distribution_id>")
def distribution(distribution_id: str):
    """The distribution and, per basket, who holds it this week and its pickup code."""
    require_notifier()
    with database().transaction() as session:
        found = session.get(Distribution, distribution_id)
        if found is None:
            raise not_found("Distribution")
        rows = session.execute(select(Basket.id, Basket.account_id, Basket.quantity, Basket.status,
                                      Basket.pickup_code, Basket.basket_kind_id)
                               .where(Basket.distribution_id == distribution_id)
                               .order_by(Basket.created_at, Basket.id)).all()
        kinds = {kind.id: kind.name for kind in found.contract.basket_kinds}
        return {"distribution": distribution_summary(found),
                "baskets": [{"basket_id": row.id, "account_id": row.account_id, "quantity": row.quantity,
                             "status": row.status, "pickup_code": row.pickup_code,
                             "basket_kind": kinds.get(row.basket_kind_id, "")} for row in rows]}


@internal.get("/sites/<site_id>/volunteers")
def volunteers(site_id: str):
    """Accounts that took a turn at this site's distributions in the last year: who to call when short."""
    require_notifier()
    since = utcnow() - VOLUNTEERS_LOOK_BACK
    with database().transaction() as session:
        ids = session.scalars(select(RosterEntry.account_id).distinct()
                              .join(Distribution, RosterEntry.distribution_id == Distribution.id)
                              .where(Distribution.site_id == site_id, RosterEntry.account_id.is_not(None),
                                     Distribution.starts_at >= since))
        return {"account_ids": sorted(ids)}
