"""What day it is for the platform the end-to-end tests start, and the dates and times they book on it.

Its gunicorn processes read the real clock in their own processes, so nothing can move it: the tests read the same
clock here, once a call, in Europe/Paris (the sites' zone, whatever the machine's), and book far enough ahead, on
days the site's own opening hours say it is open, to pass at any time of day, on any weekday and in any season.
Under a unit test's `clock` fixture these read the travelled clock, like the code under test does.
"""
from __future__ import annotations

import time as timer
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def platform_today(lasting: timedelta = timedelta(0)) -> date:
    """Today in Paris. A story that needs that day to last `lasting` more waits for the next one if it ends sooner.

    The platform's "today" moves at midnight in the middle of a test otherwise: a distribution made for today would
    no longer be today's when the page is read.
    """
    now = datetime.now(timezone.utc)
    today = now.astimezone(PARIS).date()
    midnight = datetime.combine(today + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(timezone.utc)
    if midnight - now < lasting:
        timer.sleep((midnight - now).total_seconds() + 1)
        today = datetime.now(PARIS).date()
    return today


def days_ahead(days: int) -> date:
    return platform_today() + timedelta(days=days)


def weekday_ahead(weekday: int, weeks: int) -> date:
    """The first such weekday (0 is Monday) at least `7 * weeks` days ahead."""
    today = platform_today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    """That wall-clock time in Paris, with the offset of that day (+01:00 in winter, +02:00 in summer)."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def is_open(opening_hours: dict, day: date, starts: str, ends: str) -> bool:
    """Whether a site's opening hours (as /api/sites gives them) hold the span `starts`-`ends` (HH:MM) that day."""
    return any(span["opens"] <= starts and ends <= span["closes"]
               for span in opening_hours.get(WEEKDAYS[day.weekday()], []))


def open_day(opening_hours: dict, first: date, starts: str, ends: str) -> date:
    """The first day from `first` on which the site is open from `starts` to `ends`, by its own opening hours."""
    for offset in range(7):
        day = first + timedelta(days=offset)
        if is_open(opening_hours, day, starts, ends):
            return day
    raise AssertionError(f"the site is never open from {starts} to {ends}: {opening_hours}")
