"""Prices of a room in integer cents: the cheapest mix of day, half-day and hour rates."""
from __future__ import annotations

import math

HOUR_MINUTES = 60
HALF_DAY_MINUTES = 4 * 60   # a half-day covers up to four hours
DAY_MINUTES = 24 * 60       # a day rate covers the whole of one day


def rate_kind(organisation_kind: str | None) -> str:
    """The rate that applies: the organisation's kind, or `individual` for a person on their own."""
    return organisation_kind or "individual"


def cheapest(minutes: int, rate: dict) -> dict:
    """The cheapest combination of units covering `minutes`; each started unit is due in full."""
    if minutes <= 0:
        raise ValueError("a price needs a positive duration")
    best: tuple | None = None
    for days in range(math.ceil(minutes / DAY_MINUTES) + 1):
        rest = max(0, minutes - days * DAY_MINUTES)
        for halves in range(math.ceil(rest / HALF_DAY_MINUTES) + 1):
            rest_after = max(0, rest - halves * HALF_DAY_MINUTES)
            hours = math.ceil(rest_after / HOUR_MINUTES)
            total = days * rate["day"] + halves * rate["half_day"] + hours * rate["hour"]
            # On equal price, fewer units read better on an invoice.
            key = (total, days + halves + hours)
            if best is None or key < best[0]:
                best = (key, days, halves, hours)
    (total, _units), days, halves, hours = best
    lines = [
        {"unit": unit, "quantity": quantity, "unit_cents": rate[unit], "cents": quantity * rate[unit]}
        for unit, quantity in (("day", days), ("half_day", halves), ("hour", hours)) if quantity
    ]
    return {"total_cents": total, "lines": lines, "money_box": bool(rate.get("money_box", False))}
