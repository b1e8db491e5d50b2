"""What the gateway's notifier reads to tell referents that a household's access ends (internal, not in the API)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, request
from sqlalchemy import select

from services.grocery.models import Household
from shared.internal import PREFIX, require_notifier
from shared.problems import invalid
from shared.web import database

internal = Blueprint("grocery-internal", __name__, url_prefix=PREFIX)


@internal.get("/households/ending")
def households_ending():
    """Eligible households whose access period ends on or before `until`, with their referrer's account."""
    require_notifier()
    try:
        until = date.fromisoformat(request.args.get("until", ""))
    except ValueError:
        raise invalid("until", "give a date, YYYY-MM-DD") from None
    with database().transaction() as session:
        rows = session.scalars(select(Household).where(
            Household.status == "eligible", Household.eligible_until.is_not(None),
            Household.eligible_until <= until, Household.referrer_account_id.is_not(None))
            .order_by(Household.eligible_until))
        # The card's last digits only: enough for the referent to know which household, useless at the till.
        return {"households": [{"household_id": h.id, "site_id": h.site_id,
                                "eligible_until": h.eligible_until.isoformat(),
                                "referrer_account_id": h.referrer_account_id,
                                "card_hint": h.card_number[-4:]} for h in rows]}
