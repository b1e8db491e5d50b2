"""Values typed in the pages' forms, read the way people write them in France: 26/11/2026, 18h30, 2,50."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3])\s*(?:[:hH.]\s*([0-5]\d)?)?$")


def parse_day(text: str, today: date | None = None) -> date:
    """"2026-11-26", "26/11/2026", "26/11/26", "26.11.2026"; "26/11" is the next 26 November from `today`."""
    text = (text or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = _DAY.match(text)
    if not match:
        raise ValueError(text)
    day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
    if year is None:
        if today is None:
            raise ValueError(text)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    return date(int(year) + (2000 if len(year) == 2 else 0), month, day)


def parse_days(text: str, today: date | None = None) -> tuple[list[date], list[str]]:
    """Dates one per line or separated by commas or spaces: (the dates read, the pieces that are no date)."""
    found, wrong = [], []
    for piece in re.split(r"[\s,;]+", text or ""):
        if not piece:
            continue
        try:
            found.append(parse_day(piece, today))
        except ValueError:
            wrong.append(piece)
    return found, wrong


def parse_clock(text: str) -> str:
    """"18:00", "18h", "18h30", "18 h 30", "9.15" -> "HH:MM"."""
    match = _CLOCK.match((text or "").strip())
    if not match:
        raise ValueError(text)
    return f"{int(match.group(1)):02d}:{match.group(2) or '00'}"


def parse_whole(text: str, low: int, high: int) -> int:
    text = (text or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(text)
    return int(text)


def parse_quantity(text: str) -> Decimal:
    """A quantity above 0 with a dot or a comma: "2", "0,5", "1.250"."""
    try:
        amount = Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(text)
    return amount


def as_number(amount: Decimal) -> int | float:
    """What the API takes: a whole number stays whole."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def season_days(start: date, end: date, weekday: str, skipped=()) -> list[date]:
    """Every `weekday` from start to end, but the skipped days: the distributions a season will have."""
    first = start + timedelta(days=(WEEKDAYS.index(weekday) - start.weekday()) % 7)
    days = []
    while first <= end:
        if first not in skipped:
            days.append(first)
        first += timedelta(days=7)
    return days
