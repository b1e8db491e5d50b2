"""Time spans of a site: opening hours in its local time zone, closures, and free time between bookings."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Span = tuple[datetime, datetime]


def zone(site) -> ZoneInfo:
    return ZoneInfo(site.timezone or "Europe/Paris")


def _local(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    if hours == 24:
        return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return datetime.combine(day, time(hours, minutes), tzinfo=tz)


def opening_spans(site, day: date) -> list[Span]:
    """The opening spans of one local day, as aware datetimes (correct across DST changes)."""
    tz = zone(site)
    hours = (site.opening_hours or {}).get(WEEKDAYS[day.weekday()], [])
    return [(_local(day, span["opens"], tz), _local(day, span["closes"], tz)) for span in hours]


def describe_hours(site, day: date) -> list[str]:
    return [f"{span['opens']}-{span['closes']}"
            for span in (site.opening_hours or {}).get(WEEKDAYS[day.weekday()], [])]


def local_day(site, moment: datetime) -> date:
    return moment.astimezone(zone(site)).date()


def within_opening_hours(site, starts_at: datetime, ends_at: datetime) -> bool:
    return any(opens <= starts_at and ends_at <= closes
               for opens, closes in opening_spans(site, local_day(site, starts_at)))


def days_between(site, starts: datetime, ends: datetime):
    day, last = local_day(site, starts), local_day(site, ends)
    while day <= last:
        yield day
        day += timedelta(days=1)


def subtract(spans: list[Span], taken: list[Span]) -> list[Span]:
    """`spans` minus every span of `taken` (all half-open); `taken` may overlap itself.

    One sweep over `taken` sorted by start, comparing POSIX timestamps: comparing aware datetimes of
    different zones costs a zone lookup each time, and a month of a busy room has many spans."""
    if not taken:
        return list(spans)
    ordered = sorted(((t_start.timestamp(), t_end.timestamp(), t_start, t_end) for t_start, t_end in taken),
                     key=lambda t: t[0])
    result = []
    for start, end in spans:
        end_key = end.timestamp()
        cursor, cursor_key = start, start.timestamp()
        for t_start_key, t_end_key, t_start, t_end in ordered:
            if t_start_key >= end_key:
                break
            if t_end_key <= cursor_key:
                continue
            if t_start_key > cursor_key:
                result.append((cursor, t_start))
            cursor, cursor_key = t_end, t_end_key
            if cursor_key >= end_key:
                break
        if cursor_key < end_key:
            result.append((cursor, end))
    return result


def open_spans(site, starts: datetime, ends: datetime, closures: list[Span]) -> list[Span]:
    """Opening hours within [starts, ends), closures removed."""
    spans = []
    for day in days_between(site, starts, ends):
        for opens, closes in opening_spans(site, day):
            start, end = max(opens, starts), min(closes, ends)
            if start < end:
                spans.append((start, end))
    return subtract(spans, closures)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def rfc3339(moment: datetime, site=None) -> str:
    """A moment with the site's local offset when a site is given, else in UTC."""
    return (moment.astimezone(zone(site)) if site is not None else utc(moment)).isoformat()
