"""Subtracting busy spans from open spans: the sweep gives what the plain definition gives."""
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from services.booking.timespans import subtract

PARIS = ZoneInfo("Europe/Paris")
BASE = datetime(2026, 10, 20, tzinfo=timezone.utc)


def by_definition(spans, taken):
    result = list(spans)
    for t_start, t_end in taken:
        pieces = []
        for start, end in result:
            if t_end <= start or end <= t_start:
                pieces.append((start, end))
                continue
            if start < t_start:
                pieces.append((start, t_start))
            if t_end < end:
                pieces.append((t_end, end))
        result = pieces
    return result


def moment(minutes, zone):
    return (BASE + timedelta(minutes=minutes)).astimezone(zone)


def test_the_sweep_agrees_with_the_definition_on_random_overlapping_spans():
    rng = random.Random(20261122)
    for _ in range(3000):
        spans, cursor = [], 0
        for _ in range(rng.randint(0, 5)):
            cursor += rng.randint(0, 300)
            length = rng.randint(1, 600)
            spans.append((moment(cursor, PARIS), moment(cursor + length, PARIS)))
            cursor += length
        taken = []
        for _ in range(rng.randint(0, 8)):
            start = rng.randint(-100, cursor + 100)
            taken.append((moment(start, timezone.utc), moment(start + rng.randint(1, 400), timezone.utc)))
        assert subtract(spans, taken) == by_definition(spans, taken)


def test_touching_spans_leave_nothing_between_them():
    day = [(moment(0, PARIS), moment(600, PARIS))]
    utc = timezone.utc
    taken = [(moment(0, utc), moment(300, utc)), (moment(300, utc), moment(600, utc))]
    assert subtract(day, taken) == []
    assert subtract(day, []) == day
