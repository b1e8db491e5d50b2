"""Occurrences of a recurring series, computed in the site's local time so 18:00 stays 18:00 across DST."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from services.booking.timespans import utc, zone

FREQUENCIES = ("weekly", "biweekly", "monthly_by_weekday")
MAX_OCCURRENCES = 104


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth (1-4) or last (-1) given weekday of a month."""
    days = [week[weekday] for week in calendar.monthcalendar(year, month) if week[weekday]]
    if nth == -1:
        return date(year, month, days[-1])
    return date(year, month, days[nth - 1]) if nth <= len(days) else None


def occurrences(site, starts_at: datetime, ends_at: datetime, frequency: str, until: date | None = None,
                count: int | None = None):
    """Yield (start, end) in UTC; `until` is a local date, included; at most MAX_OCCURRENCES."""
    tz = zone(site)
    first_start = starts_at.astimezone(tz)
    length_local = ends_at.astimezone(tz).replace(tzinfo=None) - first_start.replace(tzinfo=None)
    wall = first_start.timetz().replace(tzinfo=None)
    limit = min(count or MAX_OCCURRENCES, MAX_OCCURRENCES)
    day = first_start.date()
    if frequency == "monthly_by_weekday":
        # The 5th weekday of a month is taken as "the last one", which every month has.
        nth = -1 if day.day + 7 > calendar.monthrange(day.year, day.month)[1] else (day.day - 1) // 7 + 1
    produced = 0
    step = 0
    while produced < limit:
        if frequency == "weekly":
            current = day + timedelta(weeks=step)
        elif frequency == "biweekly":
            current = day + timedelta(weeks=2 * step)
        elif frequency == "monthly_by_weekday":
            month_index = day.month - 1 + step
            current = _nth_weekday(day.year + month_index // 12, month_index % 12 + 1, day.weekday(), nth)
        else:
            raise ValueError(f"unknown frequency {frequency!r}")
        step += 1
        if current is None:
            continue
        if until is not None and current > until:
            return
        local_start = datetime.combine(current, wall, tzinfo=tz)
        local_end = (local_start.replace(tzinfo=None) + length_local).replace(tzinfo=tz)
        yield utc(local_start), utc(local_end)
        produced += 1
